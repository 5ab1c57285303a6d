// The openai npm package against hearth serve: a streamed chat and a tool
// call. server/e2e_test.go starts the server and runs this with
// HEARTH_BASE_URL, HEARTH_API_KEY and HEARTH_MODEL set. It prints one JSON
// line of results and exits non-zero on the first failure.
import OpenAI from "openai";

const client = new OpenAI({
  baseURL: process.env.HEARTH_BASE_URL,
  apiKey: process.env.HEARTH_API_KEY || "none",
  maxRetries: 0,
  timeout: 120_000,
});
const model = process.env.HEARTH_MODEL;

function check(cond, what) {
  if (!cond) {
    console.error("FAIL: " + what);
    process.exit(1);
  }
}

const out = {};

// Models.
const models = [];
for await (const m of client.models.list()) models.push(m.id);
check(models.includes(model), `models ${JSON.stringify(models)} lack ${model}`);
out.models = models;

// A streamed chat, with usage at the end.
const stream = await client.chat.completions.create({
  model,
  messages: [{ role: "user", content: "Say hello." }],
  stream: true,
  stream_options: { include_usage: true },
  max_tokens: 12,
  temperature: 0,
});
let text = "", chunks = 0, finish = null, usage = null;
for await (const chunk of stream) {
  chunks++;
  if (chunk.usage) usage = chunk.usage;
  for (const c of chunk.choices) {
    text += c.delta?.content ?? "";
    if (c.finish_reason) finish = c.finish_reason;
  }
}
check(chunks >= 3, `only ${chunks} chunks`);
check(finish === "length" || finish === "stop", `finish_reason ${finish}`);
check(usage && usage.completion_tokens > 0 && usage.prompt_tokens > 0, `usage ${JSON.stringify(usage)}`);
out.stream = { chunks, finish, text, usage };

// A tool call: tool_choice "required" makes the reply a call.
const tools = [{
  type: "function",
  function: {
    name: "get_weather",
    description: "The weather in a city",
    parameters: {
      type: "object",
      properties: { city: { type: "string", enum: ["Paris", "Oslo"] }, days: { type: "integer" } },
      required: ["city", "days"],
    },
  },
}];
const messages = [{ role: "user", content: "What is the weather in Paris?" }];
const resp = await client.chat.completions.create({
  model, messages, tools, tool_choice: "required", max_tokens: 400, temperature: 0.8, seed: 3,
});
const msg = resp.choices[0].message;
check(resp.choices[0].finish_reason === "tool_calls", `finish_reason ${resp.choices[0].finish_reason}`);
check(msg.tool_calls?.length === 1, `tool_calls ${JSON.stringify(msg.tool_calls)}`);
const call = msg.tool_calls[0];
check(call.type === "function" && call.function.name === "get_weather" && call.id, `call ${JSON.stringify(call)}`);
const args = JSON.parse(call.function.arguments);
check(["Paris", "Oslo"].includes(args.city) && Number.isInteger(args.days), `arguments ${call.function.arguments}`);
out.call = call;

// The same, streamed, through the SDK's stream helper.
const runner = client.chat.completions.stream({
  model, messages, tools, tool_choice: { type: "function", function: { name: "get_weather" } },
  max_tokens: 400, temperature: 0.8, seed: 4,
});
const final = await runner.finalChatCompletion();
const scall = final.choices[0].message.tool_calls?.[0];
check(scall && scall.function.name === "get_weather", `streamed call ${JSON.stringify(final.choices[0].message)}`);
JSON.parse(scall.function.arguments);
out.streamedCall = scall;

// The result goes back and the model answers.
messages.push(msg, { role: "tool", tool_call_id: call.id, content: JSON.stringify({ temperature: 21 }) });
const answer = await client.chat.completions.create({ model, messages, tools, max_tokens: 8, temperature: 0 });
check(typeof answer.choices[0].message.content === "string" || answer.choices[0].message.tool_calls, "answer after the tool result");
out.answer = answer.choices[0].message;

// An error comes back as an APIError with OpenAI's shape.
try {
  await client.chat.completions.create({ model: "no-such-model", messages: [{ role: "user", content: "x" }] });
  check(false, "unknown model: no error");
} catch (e) {
  check(e instanceof OpenAI.APIError && e.status === 404, `unknown model: ${e}`);
  out.error = { status: e.status, code: e.code };
}

console.log(JSON.stringify(out));
