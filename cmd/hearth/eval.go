package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hearthlm/hearth/engine"
)

func parseIDs(s string) ([]int32, error) {
	var ids []int32
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		v, err := strconv.ParseInt(f, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("token id %q is not a number", f)
		}
		ids = append(ids, int32(v))
	}
	return ids, nil
}

func evalCmd() *cobra.Command {
	var (
		tokens  string
		text    string
		top     int
		asJSON  bool
		threads int
		kv      string
	)
	c := &cobra.Command{
		Use:   "eval MODEL --tokens 1,2,3 [--top K] [--json]",
		Short: "Run one forward pass and print the most likely next tokens at every position",
		Long: `Run one forward pass over the tokens and print, for every position, the K
most likely next tokens as [id, logit, log-probability].`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref := ""
			if len(args) == 1 {
				ref = args[0]
			}
			kvt, err := kvType(kv)
			if err != nil {
				return err
			}
			m, err := engine.Load(ref, engine.Options{Threads: threads, KVType: kvt})
			if err != nil {
				return err
			}
			defer m.Close()
			var ids []int32
			if text != "" {
				ids = m.Tokenizer.Encode(text, true, false)
			} else if ids, err = parseIDs(tokens); err != nil {
				return err
			}
			if len(ids) == 0 {
				return fmt.Errorf("no tokens: pass --tokens 1,2,3 or --text")
			}
			res, err := m.Eval(ids, top)
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(os.Stdout).Encode(res)
			}
			for _, p := range res.Positions {
				fmt.Printf("pos %d (token %d):", p.Pos, ids[p.Pos])
				for _, t := range p.Top {
					fmt.Printf(" %d %q %.4f;", int(t[0]), m.Tokenizer.Token(int32(t[0])), t[2])
				}
				fmt.Println()
			}
			return nil
		},
	}
	c.Flags().StringVar(&tokens, "tokens", "", "comma-separated token ids")
	c.Flags().StringVar(&text, "text", "", "text to tokenize (with BOS) instead of --tokens")
	c.Flags().IntVar(&top, "top", 10, "how many tokens to list per position")
	kvTypeFlag(c, &kv)
	c.Flags().BoolVar(&asJSON, "json", false, `print {"positions":[{"pos":0,"top":[[id, logit, logprob], ...]}, ...]}`)
	c.Flags().IntVarP(&threads, "threads", "t", 0, "threads (0: all cores)")
	return c
}
