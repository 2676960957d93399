-- Sync statuses: the syncer's opaque bytes per directory, written by the replica that holds
-- the directory's lease and read by every replica, so GetSyncStatus agrees across replicas.
CREATE TABLE dirsync.statuses (
    directory text COLLATE "C" PRIMARY KEY,
    status    bytea NOT NULL
);
