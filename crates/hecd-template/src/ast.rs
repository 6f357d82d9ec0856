//! The parse tree: compact nodes with byte positions, rendered back to
//! source text exactly as Go's `parse.Node.String` does (error contexts).

use std::fmt;
use std::sync::Arc;

use crate::func::Function;
use crate::value::Value;

/// One parsed template (the main body or a `define`).
#[derive(Debug)]
pub(crate) struct Tree {
    /// Template name (`define` name or the main name).
    pub name: Arc<str>,
    /// Name of the source the tree was parsed from (for error locations).
    pub parse_name: Arc<str>,
    /// The whole source text (shared by all trees parsed from it).
    pub text: Arc<[u8]>,
    pub root: Vec<Node>,
}

impl Tree {
    /// `NAME:LINE:COL` pieces of a byte position.
    pub fn line_col(&self, pos: u32) -> (usize, usize) {
        let pos = (pos as usize).min(self.text.len());
        let before = &self.text[..pos];
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        let col = match before.iter().rposition(|&b| b == b'\n') {
            Some(i) => pos - (i + 1),
            None => pos,
        };
        (line, col)
    }

    /// True when the body is empty of everything but space (Go's `IsEmptyTree`).
    pub fn is_empty(&self) -> bool {
        self.root.iter().all(|n| match n {
            // Go's bytes.TrimSpace: Unicode white space.
            Node::Text(s, e) => {
                String::from_utf8_lossy(&self.text[*s as usize..*e as usize]).trim().is_empty()
            }
            _ => false,
        })
    }
}

#[derive(Debug)]
pub(crate) enum Node {
    /// Text: a byte range of the tree's source.
    Text(u32, u32),
    Action(Box<Pipe>),
    If(Box<Branch>),
    Range(Box<Branch>),
    With(Box<Branch>),
    Template(Box<TemplateCall>),
    Break,
    Continue,
}

#[derive(Debug)]
pub(crate) struct Branch {
    pub pipe: Pipe,
    pub list: Vec<Node>,
    pub else_list: Option<Vec<Node>>,
}

#[derive(Debug)]
pub(crate) struct TemplateCall {
    pub pos: u32,
    pub name: Arc<str>,
    pub pipe: Option<Pipe>,
}

#[derive(Debug)]
pub(crate) struct Pipe {
    pub pos: u32,
    pub is_assign: bool,
    pub decl: Vec<Var>,
    pub cmds: Vec<Command>,
}

#[derive(Debug)]
pub(crate) struct Var {
    #[allow(dead_code)]
    pub pos: u32,
    pub name: Arc<str>,
}

#[derive(Debug)]
pub(crate) struct Command {
    pub pos: u32,
    pub args: Vec<Arg>,
}

/// What an identifier resolves to.
#[derive(Debug, Clone)]
pub(crate) enum FuncRef {
    /// A builtin and its Go signature (built once, at parse time).
    Builtin(crate::builtins::Builtin, Box<crate::func::Signature>),
    User(Function),
}

#[derive(Debug)]
pub(crate) enum Arg {
    /// `.a.b` (the idents, without dots).
    Field {
        pos: u32,
        idents: Box<[Arc<str>]>,
    },
    /// `$x.a.b`: name (`$x`) then fields.
    Variable {
        pos: u32,
        name: Arc<str>,
        fields: Box<[Arc<str>]>,
    },
    /// `(pipe).a.b` or `f.a` etc.
    Chain {
        pos: u32,
        node: Box<Arg>,
        fields: Box<[Arc<str>]>,
    },
    /// A function name.
    Ident {
        pos: u32,
        name: Arc<str>,
        func: FuncRef,
    },
    Dot(u32),
    Nil(u32),
    Bool(u32, bool),
    Number(Box<Number>),
    String {
        pos: u32,
        quoted: Arc<str>,
        value: Value,
    },
    Pipe(Box<Pipe>),
}

/// A number literal with every representation it admits (Go's ideal
/// constants).
#[derive(Debug)]
pub(crate) struct Number {
    pub pos: u32,
    pub text: Arc<str>,
    pub is_int: bool,
    pub is_uint: bool,
    pub is_float: bool,
    pub is_complex: bool,
    pub int: i64,
    pub uint: u64,
    pub float: f64,
    pub complex: (f64, f64),
}

impl Arg {
    pub fn pos(&self) -> u32 {
        match self {
            Arg::Field { pos, .. }
            | Arg::Variable { pos, .. }
            | Arg::Chain { pos, .. }
            | Arg::Ident { pos, .. }
            | Arg::Dot(pos)
            | Arg::Nil(pos)
            | Arg::Bool(pos, _)
            | Arg::String { pos, .. } => *pos,
            Arg::Number(n) => n.pos,
            Arg::Pipe(p) => p.pos,
        }
    }
}

fn write_fields(f: &mut fmt::Formatter<'_>, fields: &[Arc<str>]) -> fmt::Result {
    for id in fields {
        write!(f, ".{id}")?;
    }
    Ok(())
}

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Field { idents, .. } => write_fields(f, idents),
            Arg::Variable { name, fields, .. } => {
                f.write_str(name)?;
                write_fields(f, fields)
            }
            Arg::Chain { node, fields, .. } => {
                if let Arg::Pipe(p) = &**node {
                    write!(f, "({p})")?;
                } else {
                    write!(f, "{node}")?;
                }
                write_fields(f, fields)
            }
            Arg::Ident { name, .. } => f.write_str(name),
            Arg::Dot(_) => f.write_str("."),
            Arg::Nil(_) => f.write_str("nil"),
            Arg::Bool(_, b) => write!(f, "{b}"),
            Arg::Number(n) => f.write_str(&n.text),
            Arg::String { quoted, .. } => f.write_str(quoted),
            Arg::Pipe(p) => write!(f, "{p}"),
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            if let Arg::Pipe(p) = a {
                write!(f, "({p})")?;
            } else {
                write!(f, "{a}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Pipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.decl.is_empty() {
            for (i, v) in self.decl.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                f.write_str(&v.name)?;
            }
            f.write_str(" := ")?;
        }
        for (i, c) in self.cmds.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}
