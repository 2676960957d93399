-- The first schema of store/postgres. Versions are bigints: record versions as they are, the
-- server version (a uint64) as its two's-complement bits. Keys compare bytewise, as in every
-- backend: directories are text in the "C" collation, ids are bytea (an id may hold a NUL).

-- One row: the server version (set at the first Open, not here, so that databases copied from
-- a migrated template each get their own), the latest version and the earliest retained one.
CREATE TABLE dirsync.meta (
    singleton      boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    server_version bigint  NOT NULL CHECK (server_version <> 0),
    latest         bigint  NOT NULL DEFAULT 0 CHECK (latest >= 0),
    earliest       bigint  NOT NULL DEFAULT 0 CHECK (earliest >= 0 AND earliest <= latest)
);

-- The live records: deterministic protobuf bytes, with their key and version beside them.
CREATE TABLE dirsync.records (
    type      integer          NOT NULL,
    directory text COLLATE "C" NOT NULL,
    id        bytea            NOT NULL,
    version   bigint           NOT NULL,
    data      bytea            NOT NULL,
    PRIMARY KEY (type, directory, id)
);

-- The change log, one row per version; a deletion carries the record's last data. Commit
-- times come from the database's clock, so they do not decrease along versions.
CREATE TABLE dirsync.changes (
    version   bigint PRIMARY KEY,
    committed timestamptz      NOT NULL,
    type      integer          NOT NULL,
    directory text COLLATE "C" NOT NULL,
    id        bytea            NOT NULL,
    deleted   boolean          NOT NULL,
    data      bytea            NOT NULL
);

-- Provider cursors, written in the transaction of the batch they belong to.
CREATE TABLE dirsync.cursors (
    directory text COLLATE "C" PRIMARY KEY,
    cursor    bytea NOT NULL
);

-- Leases; expires is on the database's clock.
CREATE TABLE dirsync.leases (
    name    text        PRIMARY KEY,
    holder  text        NOT NULL,
    expires timestamptz NOT NULL
);
