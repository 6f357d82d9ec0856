//! The evaluator: walks a tree with dot, variables and the template set,
//! writing straight into the caller's writer.

use std::io;

use crate::ast::Tree;
use crate::error::{Error, ExecError, Result};
use crate::template::Template;
use crate::value::Value;

pub(crate) fn execute<W: io::Write + ?Sized>(
    t: &Template,
    tree: &Tree,
    _w: &mut W,
    _data: &Value,
) -> Result<()> {
    Err(Error::Exec(Box::new(ExecError {
        template: tree.name.to_string(),
        location: None,
        message: format!("executor not implemented for {}", t.name()),
    })))
}
