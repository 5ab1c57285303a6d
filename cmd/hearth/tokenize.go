package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/hearthlm/hearth/engine"
)

func tokenizeCmd() *cobra.Command {
	var asJSON, addSpecial, parseSpecial bool
	c := &cobra.Command{
		Use:   "tokenize MODEL TEXT",
		Short: "Print the token ids of a text",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			tok, err := engine.LoadTokenizer(args[0])
			if err != nil {
				return err
			}
			ids := tok.Encode(args[1], addSpecial, parseSpecial)
			if ids == nil {
				ids = []int32{}
			}
			if asJSON {
				return json.NewEncoder(os.Stdout).Encode(ids)
			}
			for _, id := range ids {
				fmt.Printf("%d\t%q\n", id, tok.Token(id))
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print a JSON array of ids")
	c.Flags().BoolVar(&addSpecial, "add-special", false, "add BOS/EOS as the tokenizer says")
	c.Flags().BoolVar(&parseSpecial, "parse-special", false, "turn special-token texts such as <s> into their ids")
	return c
}

func detokenizeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "detokenize MODEL ID...",
		Short: "Print the text of token ids",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			tok, err := engine.LoadTokenizer(args[0])
			if err != nil {
				return err
			}
			var ids []int32
			for _, a := range args[1:] {
				more, err := parseIDs(a)
				if err != nil {
					return err
				}
				ids = append(ids, more...)
			}
			for _, id := range ids {
				if id < 0 || int(id) >= tok.VocabSize() {
					return fmt.Errorf("token id %d is outside the vocabulary of %d", id, tok.VocabSize())
				}
			}
			fmt.Print(tok.Decode(ids))
			return nil
		},
	}
}
