//! A consensus driver over tikv's raft: tick/step/propose/ready, WAL and snapshot files.
