package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dirsync/dirsync/store"
)

// migrationFiles holds the schema as numbered SQL files, NNNN_name.sql, applied in order. A
// file never changes once released; a schema change is a new file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// Advisory lock keys, in the database's single-bigint key space ("dirsync" and a number), so
// that they do not collide with another application's locks in a shared database.
const (
	lockVersions   int64 = 0x64_69_72_73_79_6e_63_01 // held by each transaction that allocates versions
	lockMigrations int64 = 0x64_69_72_73_79_6e_63_02 // held while the schema is migrated
)

type migration struct {
	version int
	name    string // the file name
	sql     string
}

// migrations returns the embedded migrations in order, checking that they are numbered
// 1, 2, … without gaps.
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	out := make([]migration, 0, len(names))
	for i, path := range names {
		name := strings.TrimPrefix(path, "migrations/")
		n, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil || n != i+1 {
			return nil, fmt.Errorf("migration %s: want number %04d", name, i+1)
		}
		sql, err := migrationFiles.ReadFile(path)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: n, name: name, sql: string(sql)})
	}
	return out, nil
}

// Migrate applies the pending migrations to the database at dsn and returns the names of
// those it applied. It is what Open does first, without creating the store itself (the server
// version), so a database migrated ahead of time (dirsyncd migrate, or a test template) is
// still "created empty" at its first Open. Concurrent calls, from any process, are safe: each
// migration is applied once. A database migrated by a newer build is refused.
func Migrate(ctx context.Context, dsn string, opts ...Option) ([]string, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	pool, err := newPool(ctx, dsn, o.configure)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	var applied []string
	err = inMigration(ctx, pool, func(tx pgx.Tx) (err error) {
		applied, err = migrateTx(ctx, tx)
		return err
	})
	return applied, err
}

// initialize migrates the database and creates the store in it when absent, in one
// transaction, and returns the latest version.
func initialize(ctx context.Context, pool *pgxpool.Pool) (uint64, error) {
	var latest int64
	err := inMigration(ctx, pool, func(tx pgx.Tx) error {
		if _, err := migrateTx(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO dirsync.meta (server_version) VALUES ($1) ON CONFLICT DO NOTHING`,
			i64(store.NewServerVersion())); err != nil {
			return fmt.Errorf("create store: %w", err)
		}
		return tx.QueryRow(ctx, `SELECT latest FROM dirsync.meta`).Scan(&latest)
	})
	return u64(latest), err
}

// inMigration runs fn in a transaction that holds the migration lock, and commits it.
func inMigration(ctx context.Context, pool *pgxpool.Pool, fn func(pgx.Tx) error) error {
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockMigrations); err != nil {
			return err
		}
		return fn(tx)
	})
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	return nil
}

// migrateTx applies, in tx, the migrations that schema_migrations does not list.
func migrateTx(ctx context.Context, tx pgx.Tx) ([]string, error) {
	all, err := migrations()
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `
		CREATE SCHEMA IF NOT EXISTS dirsync;
		CREATE TABLE IF NOT EXISTS dirsync.schema_migrations (
			version    integer PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`); err != nil {
		return nil, err
	}
	var current int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM dirsync.schema_migrations`).Scan(&current); err != nil {
		return nil, err
	}
	if current > len(all) {
		return nil, errors.New("the database schema is at migration " + strconv.Itoa(current) +
			", newer than this build knows (" + strconv.Itoa(len(all)) + "): upgrade dirsyncd")
	}
	var applied []string
	for _, m := range all[current:] {
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return nil, fmt.Errorf("%s: %w", m.name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO dirsync.schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
			return nil, err
		}
		applied = append(applied, m.name)
	}
	return applied, nil
}
