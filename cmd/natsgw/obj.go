package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"

	"github.com/natsgw/natsgw"
)

// newObjCmd is the object store command group.
func newObjCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "obj",
		Short: "Store and fetch objects (files of any size) in buckets",
		Long: `Store and fetch objects in your organization's object store buckets.

Objects stream in and out, so any size works; the gateway checks each
object's SHA-256 digest on the way out. A put to a bucket that does not exist
creates it (file storage, no limits); use 'obj add' for other settings.

--timeout bounds connecting and each short call; put, get and ls BUCKET run
until they are done or you interrupt them (Ctrl-C; an interrupted put stores
nothing).`,
	}
	cmd.AddCommand(newObjAddCmd(g), newObjLsCmd(g), newObjInfoCmd(g), newObjRmCmd(g), newObjPutCmd(g), newObjGetCmd(g))
	return cmd
}

// jsonObject is the --json form of an object's info.
type jsonObject struct {
	Bucket      string            `json:"bucket"`
	Name        string            `json:"name"`
	Description string            `json:"description,omitempty"`
	Metadata    map[string]string `json:"metadata"`
	Size        int64             `json:"size"`
	SHA256      string            `json:"sha256"`
	Modified    time.Time         `json:"modified"`
	ID          string            `json:"id"`
	Chunks      int               `json:"chunks"`
	ChunkSize   int               `json:"chunk_size"`
}

func toJSONObject(o *natsgw.ObjectInfo) jsonObject {
	md := o.Metadata
	if md == nil {
		md = map[string]string{}
	}
	return jsonObject{
		Bucket: o.Bucket, Name: o.Name, Description: o.Description, Metadata: md, Size: o.Size,
		SHA256: hex.EncodeToString(o.SHA256), Modified: o.Modified, ID: o.ID, Chunks: o.Chunks, ChunkSize: o.ChunkSize,
	}
}

// jsonObjBucket is the --json form of an object store bucket.
type jsonObjBucket struct {
	Bucket      string    `json:"bucket"`
	Description string    `json:"description,omitempty"`
	Size        int64     `json:"size"`
	MaxBytes    int64     `json:"max_bytes"`
	TTL         string    `json:"ttl,omitempty"`
	Storage     string    `json:"storage"`
	Replicas    int       `json:"replicas"`
	Sealed      bool      `json:"sealed"`
	Created     time.Time `json:"created"`
}

func toJSONObjBucket(b *natsgw.ObjectStoreInfo) jsonObjBucket {
	j := jsonObjBucket{Bucket: b.Bucket, Description: b.Description, Size: b.Size, MaxBytes: b.MaxBytes,
		Storage: storageName(b.Memory), Replicas: b.Replicas, Sealed: b.Sealed, Created: b.Created}
	if b.TTL > 0 {
		j.TTL = b.TTL.String()
	}
	return j
}

func newObjAddCmd(g *globals) *cobra.Command {
	var (
		description string
		maxBytes    int64
		ttl         time.Duration
		memory      bool
		replicas    int
		asJSON      bool
	)
	cmd := &cobra.Command{
		Use:   "add BUCKET",
		Short: "Create a bucket",
		Long: `Create bucket BUCKET (letters, digits, '_' and '-'). Creating a bucket that
exists with the same settings succeeds; with other settings it fails.
Prints the bucket (--json: a JSON object).`,
		Example: `  natsgw obj add documents
  natsgw obj add scratch --max-bytes 1073741824 --ttl 24h --memory`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg := natsgw.ObjectStoreConfig{
				Bucket: args[0], Description: description, MaxBytes: maxBytes,
				TTL: ttl, Memory: memory, Replicas: replicas,
			}
			return g.withClient(cmd.Context(), func(c *natsgw.Client) error {
				ctx, cancel := g.call(cmd.Context())
				defer cancel()
				b, err := c.CreateObjectStore(ctx, cfg)
				if err != nil {
					return g.callError("create bucket "+args[0], err)
				}
				if asJSON {
					return writeJSON(g.stdout, toJSONObjBucket(b))
				}
				return printBuckets(g.stdout, []*natsgw.ObjectStoreInfo{b})
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&description, "description", "", "describe the bucket")
	f.Int64Var(&maxBytes, "max-bytes", 0, "most bytes the bucket may hold (0: no limit of its own)")
	f.DurationVar(&ttl, "ttl", 0, "remove objects older than this (0: keep them)")
	f.BoolVar(&memory, "memory", false, "keep the bucket in memory (lost when NATS restarts)")
	f.IntVar(&replicas, "replicas", 0, "copies in a NATS cluster (0: 1)")
	f.BoolVar(&asJSON, "json", false, "print the bucket as a JSON object")
	return cmd
}

func printBuckets(w io.Writer, bs []*natsgw.ObjectStoreInfo) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "BUCKET\tSIZE\tSTORAGE\tMAX BYTES\tTTL\tDESCRIPTION")
	for _, b := range bs {
		maxBytes, ttl := "-", "-"
		if b.MaxBytes > 0 {
			maxBytes = fmt.Sprint(b.MaxBytes)
		}
		if b.TTL > 0 {
			ttl = b.TTL.String()
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", b.Bucket, b.Size, storageName(b.Memory), maxBytes, ttl, b.Description)
	}
	return tw.Flush()
}

func newObjLsCmd(g *globals) *cobra.Command {
	var (
		prefix string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "ls [BUCKET]",
		Short: "List buckets, or the objects of BUCKET",
		Long: `Without BUCKET, list your organization's buckets. With BUCKET, list its
objects (name, size in bytes, last modified), in the order they were last
written. --json prints one JSON object per line instead of a table.`,
		Example: `  natsgw obj ls
  natsgw obj ls documents --prefix reports/`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withClient(cmd.Context(), func(c *natsgw.Client) error {
				if len(args) == 0 {
					if prefix != "" {
						return usagef("--prefix needs a BUCKET")
					}
					ctx, cancel := g.call(cmd.Context())
					defer cancel()
					bs, err := c.ObjectStores(ctx)
					if err != nil {
						return g.callError("list buckets", err)
					}
					if asJSON {
						for _, b := range bs {
							if err := writeJSON(g.stdout, toJSONObjBucket(b)); err != nil {
								return err
							}
						}
						return nil
					}
					return printBuckets(g.stdout, bs)
				}
				return listObjects(cmd.Context(), g, c, args[0], prefix, asJSON)
			})
		},
	}
	cmd.Flags().StringVar(&prefix, "prefix", "", "only objects whose name starts with this")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per line")
	return cmd
}

func listObjects(ctx context.Context, g *globals, c *natsgw.Client, bucket, prefix string, asJSON bool) error {
	var tw *tabwriter.Writer
	if !asJSON {
		tw = tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tSIZE\tMODIFIED")
	}
	// Like put and get, a listing (a call per page) runs until it is done
	// or interrupted.
	for o, err := range c.ObjectStore(bucket).List(ctx, natsgw.WithNamePrefix(prefix)) {
		if err != nil {
			return g.callError("list bucket "+bucket, err)
		}
		if asJSON {
			if err := writeJSON(g.stdout, toJSONObject(o)); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\n", o.Name, o.Size, o.Modified.Local().Format(time.DateTime))
	}
	if tw != nil {
		return tw.Flush()
	}
	return nil
}

func newObjInfoCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "info BUCKET NAME",
		Short: "Show an object's info",
		Long: `Show object NAME of BUCKET: size, SHA-256 digest (hex), modification time,
description, metadata, id and chunks (--json: a JSON object).`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withClient(cmd.Context(), func(c *natsgw.Client) error {
				ctx, cancel := g.call(cmd.Context())
				defer cancel()
				o, err := c.ObjectStore(args[0]).Info(ctx, args[1])
				if err != nil {
					return g.callError(fmt.Sprintf("info %s %q", args[0], args[1]), err)
				}
				if asJSON {
					return writeJSON(g.stdout, toJSONObject(o))
				}
				return printObject(g.stdout, o)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON object")
	return cmd
}

func printObject(w io.Writer, o *natsgw.ObjectInfo) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "bucket:\t%s\n", o.Bucket)
	fmt.Fprintf(tw, "name:\t%s\n", o.Name)
	fmt.Fprintf(tw, "size:\t%d bytes (%s)\n", o.Size, fmtBytes(o.Size))
	fmt.Fprintf(tw, "sha256:\t%x\n", o.SHA256)
	fmt.Fprintf(tw, "modified:\t%s\n", o.Modified.Local().Format(time.RFC3339))
	if o.Description != "" {
		fmt.Fprintf(tw, "description:\t%s\n", o.Description)
	}
	for _, k := range slices.Sorted(mapKeys(o.Metadata)) {
		fmt.Fprintf(tw, "meta %s:\t%s\n", k, o.Metadata[k])
	}
	fmt.Fprintf(tw, "id:\t%s\n", o.ID)
	fmt.Fprintf(tw, "chunks:\t%d of %d bytes\n", o.Chunks, o.ChunkSize)
	return tw.Flush()
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func newObjRmCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "rm BUCKET [NAME]",
		Short: "Delete an object, or a whole bucket",
		Long: `Delete object NAME of BUCKET. Without NAME, delete BUCKET itself with every
object in it. Prints nothing on success.`,
		Example: `  natsgw obj rm documents reports/q4.pdf
  natsgw obj rm scratch`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withClient(cmd.Context(), func(c *natsgw.Client) error {
				ctx, cancel := g.call(cmd.Context())
				defer cancel()
				if len(args) == 1 {
					return g.callError("delete bucket "+args[0], c.DeleteObjectStore(ctx, args[0]))
				}
				return g.callError(fmt.Sprintf("delete %s %q", args[0], args[1]), c.ObjectStore(args[0]).Delete(ctx, args[1]))
			})
		},
	}
}

// metaFlag collects repeated --meta KEY=VALUE flags.
type metaFlag struct{ m map[string]string }

func (f *metaFlag) String() string {
	var parts []string
	for _, k := range slices.Sorted(mapKeys(f.m)) {
		parts = append(parts, k+"="+f.m[k])
	}
	return strings.Join(parts, ",")
}

func (f *metaFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("metadata %q: want KEY=VALUE", s)
	}
	if f.m == nil {
		f.m = map[string]string{}
	}
	f.m[k] = v
	return nil
}

func (f *metaFlag) Type() string { return "key=value" }

func newObjPutCmd(g *globals) *cobra.Command {
	var (
		name, description string
		meta              metaFlag
		noProgress        bool
		asJSON            bool
	)
	cmd := &cobra.Command{
		Use:   "put BUCKET FILE",
		Short: "Store a file as an object ('-' reads stdin)",
		Long: `Store FILE in BUCKET, as object --name (default: FILE's base name), replacing
any object of that name. FILE '-' reads stdin (then --name is required).
Readers see the old object until the new one is complete; an interrupted put
stores nothing.

Prints the stored object (--json: a JSON object). While it runs, a progress
bar with rate and ETA is shown on stderr when stderr is a terminal (never
when it is not, or with --no-progress).`,
		Example: `  natsgw obj put documents q4.pdf --name reports/q4.pdf --meta author=ann --meta kind=report
  tar c dir | natsgw obj put backups - --name dir.tar`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			bucket, file := args[0], args[1]
			var (
				src   io.Reader
				total int64 = -1
			)
			if file == "-" {
				if name == "" {
					return usagef("--name is required when reading stdin")
				}
				src = g.stdin
			} else {
				f, err := os.Open(file)
				if err != nil {
					return err
				}
				defer f.Close()
				if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
					total = st.Size()
				}
				if name == "" {
					name = filepath.Base(file)
				}
				src = f
			}
			return g.withClient(cmd.Context(), func(c *natsgw.Client) error {
				opts := []natsgw.PutObjectOption{natsgw.WithObjectMetadata(meta.m), natsgw.WithObjectDescription(description)}
				if total >= 0 {
					// A file that changes size while it is read stores nothing.
					opts = append(opts, natsgw.WithExpectedSize(total))
				}
				p := newProgress(g.stderr, !noProgress, name, total)
				o, err := c.ObjectStore(bucket).Put(cmd.Context(), name, p.reader(src), opts...)
				p.finish()
				if err != nil {
					return g.callError(fmt.Sprintf("put %s %q", bucket, name), err)
				}
				if asJSON {
					return writeJSON(g.stdout, toJSONObject(o))
				}
				_, err = fmt.Fprintf(g.stdout, "%s/%s: %d bytes, sha256 %x\n", o.Bucket, o.Name, o.Size, o.SHA256)
				return err
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "object name (default: FILE's base name)")
	f.StringVar(&description, "description", "", "describe the object")
	f.Var(&meta, "meta", "metadata KEY=VALUE (repeatable)")
	f.BoolVar(&noProgress, "no-progress", false, "never show a progress bar")
	f.BoolVar(&asJSON, "json", false, "print the stored object as a JSON object")
	return cmd
}

// getAttempts bounds how often get -o starts over when the object is
// replaced while it is read.
const getAttempts = 3

func newObjGetCmd(g *globals) *cobra.Command {
	var (
		out        string
		noProgress bool
	)
	cmd := &cobra.Command{
		Use:   "get BUCKET NAME",
		Short: "Fetch an object to stdout or a file",
		Long: `Fetch object NAME of BUCKET and write it to stdout, or to FILE with -o.

The gateway verifies the data against the object's SHA-256 digest; a get
that fails leaves no file behind (-o writes a temporary file next to FILE and
renames it at the end). If the object is replaced during the read, get -o
starts over; get to stdout fails instead (what was written is lost). While it
runs, a progress bar with rate and ETA is shown on stderr when stderr is a
terminal (never when it is not, or with --no-progress).`,
		Example: `  natsgw obj get documents reports/q4.pdf -o q4.pdf
  natsgw obj get backups dir.tar | tar x`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			bucket, name := args[0], args[1]
			return g.withClient(cmd.Context(), func(c *natsgw.Client) error {
				store := c.ObjectStore(bucket)
				action := fmt.Sprintf("get %s %q", bucket, name)
				if out == "" {
					_, err := fetch(cmd.Context(), store, name, g.stdout, g.stderr, !noProgress)
					return g.callError(action, err)
				}
				for attempt := 1; ; attempt++ {
					err := fetchToFile(cmd.Context(), store, name, out, g.stderr, !noProgress)
					var ge *natsgw.Error
					if errors.As(err, &ge) && ge.Code == codes.Aborted && attempt < getAttempts {
						fmt.Fprintf(g.stderr, "%s was replaced during the read; starting over\n", name)
						continue
					}
					return g.callError(action, err)
				}
			})
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to this file instead of stdout")
	cmd.Flags().BoolVar(&noProgress, "no-progress", false, "never show a progress bar")
	return cmd
}

// fetch copies the object to w.
func fetch(ctx context.Context, store *natsgw.ObjectStore, name string, w, stderr io.Writer, showProgress bool) (int64, error) {
	r, err := store.Get(ctx, name)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	_, length := r.Range()
	p := newProgress(stderr, showProgress, name, length)
	n, err := io.Copy(p.writer(w), r)
	p.finish()
	return n, err
}

// fetchToFile fetches the object into a temporary file next to path and
// renames it to path once the whole object arrived and was verified.
func fetchToFile(ctx context.Context, store *natsgw.ObjectStore, name, path string, stderr io.Writer, showProgress bool) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".part-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := fetch(ctx, store, name, tmp, stderr, showProgress); err != nil {
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
