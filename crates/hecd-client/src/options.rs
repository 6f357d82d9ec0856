//! Options of each request, as builders over plain structs.

/// Conditions a write or delete requires (`prevExist`, `prevValue`, `prevIndex`).
///
/// Conditions combine: a compare-and-swap on both value and index sets both.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Precondition {
    /// `prevExist`: `Some(false)` creates, `Some(true)` updates.
    pub exists: Option<bool>,
    /// `prevValue`: the current value must equal this.
    pub value: Option<String>,
    /// `prevIndex`: the current `modifiedIndex` must equal this.
    pub index: Option<u64>,
}

/// Options of a GET.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GetOptions {
    /// List a directory's whole subtree.
    pub recursive: bool,
    /// Sort listings by key.
    pub sorted: bool,
    /// Linearizable read through the leader (`quorum=true`).
    pub quorum: bool,
}

impl GetOptions {
    /// Recursive and sorted, as confd reads its prefixes.
    pub fn recursive_sorted() -> Self {
        GetOptions { recursive: true, sorted: true, quorum: false }
    }

    /// Sets `quorum`.
    pub fn quorum(mut self, quorum: bool) -> Self {
        self.quorum = quorum;
        self
    }
}

/// Options of a PUT (set, create, update, compare-and-swap, refresh, mkdir).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetOptions {
    /// Time to live in seconds.
    pub ttl: Option<u64>,
    /// Send an empty `ttl=`, which removes an existing TTL.
    pub clear_ttl: bool,
    /// Conditions on the current node.
    pub prev: Precondition,
    /// `refresh=true`: reset the TTL without changing the value (and without waking watchers).
    pub refresh: bool,
    /// Create a directory rather than a file.
    pub dir: bool,
    /// `noValueOnSuccess=true`: the answer carries no node.
    pub no_value_on_success: bool,
}

impl SetOptions {
    /// Sets a TTL in seconds.
    pub fn ttl(mut self, secs: u64) -> Self {
        self.ttl = Some(secs);
        self
    }

    /// Requires that the key does not exist (create).
    pub fn create(mut self) -> Self {
        self.prev.exists = Some(false);
        self
    }

    /// Requires that the key exists (update).
    pub fn update(mut self) -> Self {
        self.prev.exists = Some(true);
        self
    }

    /// Requires the current value (compare-and-swap).
    pub fn prev_value(mut self, value: impl Into<String>) -> Self {
        self.prev.value = Some(value.into());
        self
    }

    /// Requires the current modified index (compare-and-swap).
    pub fn prev_index(mut self, index: u64) -> Self {
        self.prev.index = Some(index);
        self
    }
}

/// Options of a DELETE.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteOptions {
    /// Delete a directory and everything below it.
    pub recursive: bool,
    /// Delete an (empty) directory.
    pub dir: bool,
    /// Conditions (compare-and-delete).
    pub prev: Precondition,
}
