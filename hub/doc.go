// Package hub is hearth's Hugging Face Hub client and its cache.
//
// It resolves references such as "Qwen/Qwen3-0.6B-GGUF:Q4_K_M" against the
// Hub's HTTP API (HF_ENDPOINT selects a mirror), chooses the files a model
// needs (the quant asked for, every shard of a split GGUF, the mmproj
// projector), and downloads them into the cache the huggingface_hub
// library, the hf CLI, transformers and llama.cpp share:
//
//	$HF_HUB_CACHE (else $HF_HOME/hub, else ~/.cache/huggingface/hub)
//	  .locks/models--ORG--NAME/BLOB.lock
//	  models--ORG--NAME/
//	    refs/main                     the commit "main" pointed at
//	    blobs/SHA256                  LFS files, named by their sha256
//	    blobs/GITOID                  small files, named by their git blob id
//	    snapshots/COMMIT/PATH         relative symlinks to ../../blobs/...
//
// A blob is written as BLOB.incomplete (resumed with a Range request after
// an interruption, whoever wrote it), checked against the hash the Hub
// lists for it, and only then renamed into place; snapshot links and refs
// are replaced atomically. A kill at any moment leaves the cache either
// without the file or with a verified one.
package hub
