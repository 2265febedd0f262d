package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/natsgw/natsgw/internal/server"
)

// newTokenCmd manages the auth file of `natsgw serve --auth-file`.
func newTokenCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create access tokens for token authentication (serve --auth-file)",
	}
	var org, user, file, comment string
	create := &cobra.Command{
		Use:   "create --org ORG --user USER [--file AUTHFILE]",
		Short: "Create a token for ORG/USER; print it once, store only its digest",
		Long: `Create a random token granting ORG and USER.

The token is printed on stdout once; only its SHA-256 digest is stored. With
--file, the entry is added to that auth file (created if missing) and a running
gateway picks it up on SIGHUP. Without --file, the JSON entry is printed on
stderr for you to add.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			tok, entry, err := server.NewToken(org, user)
			if err != nil {
				return err
			}
			entry.Comment = comment
			if file == "" {
				b, _ := json.Marshal(entry)
				fmt.Fprintf(g.stderr, "add to the auth file's \"tokens\": %s\n", b)
			} else if err := appendToken(file, entry); err != nil {
				return err
			}
			fmt.Fprintln(g.stdout, tok)
			return nil
		},
	}
	create.Flags().StringVar(&org, "org", "", "organization the token grants (required)")
	create.Flags().StringVar(&user, "user", "", "user the token grants (required)")
	create.Flags().StringVar(&file, "file", "", "auth file to add the token to")
	create.Flags().StringVar(&comment, "comment", "", "note stored with the entry")
	_ = create.MarkFlagRequired("org")
	_ = create.MarkFlagRequired("user")
	cmd.AddCommand(create)
	return cmd
}

// appendToken adds e to the auth file at path, creating it (mode 0600).
func appendToken(path string, e server.TokenEntry) error {
	var f server.AuthFile
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	default:
		if err := json.Unmarshal(b, &f); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	f.Tokens = append(f.Tokens, e)
	out, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(out, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
