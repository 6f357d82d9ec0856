//! The parser: tokens → [`crate::ast::Tree`]s, with Go's parse-time checks
//! and error texts.

use std::collections::HashMap;
use std::sync::Arc;

use crate::ast::Tree;
use crate::error::{Error, ParseError, Result};
use crate::func::FuncMap;

/// Parses `src` into the main tree plus defined trees.
pub(crate) fn parse(name: &str, _src: &[u8], _funcs: &FuncMap) -> Result<Vec<Tree>> {
    Err(Error::Parse(Box::new(ParseError {
        name: name.to_string(),
        line: 1,
        message: "parser not implemented".to_string(),
    })))
}

/// Adds parsed trees to a template set with Go's redefinition rules.
pub(crate) fn add_trees(
    _main: &str,
    set: &mut HashMap<String, Arc<Tree>>,
    trees: Vec<Tree>,
) -> Result<()> {
    for t in trees {
        set.insert(t.name.to_string(), Arc::new(t));
    }
    Ok(())
}
