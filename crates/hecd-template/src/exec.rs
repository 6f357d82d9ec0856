//! The evaluator: walks a tree with dot, variables and the template set,
//! writing into the caller's writer through a small buffer.
//!
//! Mirrors Go 1.19's `exec.go` step by step, including which node is
//! "current" when an error is raised (Go's `state.at`), because the error
//! text quotes that node.

use std::io;
use std::sync::Arc;

use crate::ast::{Arg, Branch, Command, FuncRef, Node, Number, Pipe, TemplateCall, Tree};
use crate::builtins::{self, Builtin};
use crate::error::{Error, ExecError, Location, Result};
use crate::func::Signature;
use crate::gofmt;
use crate::template::{MissingKey, Template};
use crate::types::{Kind, Method, Type};
use crate::value::{Record, Value};

/// Go's limit on nested template invocations (reported in the message).
const MAX_EXEC_DEPTH_GO: usize = 100_000;
/// Our actual limit on nested template invocations: native recursion must
/// stay within a thread stack (Go's message is kept).
pub(crate) const MAX_EXEC_DEPTH: usize = 500;
/// Stack budget across all template levels: each nested node list costs 1,
/// each nested pipeline evaluation `PIPE_COST` (its frames are larger).
/// Checked at template invocations (Go's depth message) and, with some
/// slack, at pipeline evaluation.
const MAX_EXEC_NESTING: usize = 1_000;
const PIPE_COST: usize = 5;

/// A value during evaluation plus whether its static type is `interface {}`
/// (it came out of an interface-typed container), which Go error texts show.
#[derive(Debug, Clone)]
pub(crate) struct V {
    pub v: Value,
    pub iface: bool,
}

impl V {
    pub fn new(v: Value) -> V {
        V { v, iface: false }
    }
    fn missing() -> V {
        V { v: Value::Missing, iface: false }
    }
    /// Go's `indirectInterface`: a nil interface becomes invalid.
    pub fn concrete(&self) -> &Value {
        match &self.v {
            Value::Nil => &Value::Missing,
            v => v,
        }
    }
    /// Static type name for messages.
    pub fn static_type(&self) -> String {
        if self.iface || self.v.is_nil() {
            "interface {}".to_string()
        } else {
            gofmt::type_name(&self.v)
        }
    }
}

pub(crate) enum Flow {
    Break,
    Continue,
    Err(Box<Error>),
}

type R<T> = std::result::Result<T, Flow>;

#[derive(Clone, Copy)]
enum At<'t> {
    None,
    Pipe(&'t Pipe),
    Cmd(&'t Command),
    Arg(&'t Arg),
    Template(&'t TemplateCall),
}

/// What a call invokes.
enum Callee<'t> {
    Builtin(Builtin, &'t Signature),
    Func(&'t crate::func::Function),
    Method(V, Method),
}

struct State<'t, 'w, W: io::Write + ?Sized> {
    tmpl: &'t Template,
    tree: &'t Tree,
    w: &'w mut W,
    out: Vec<u8>,
    /// `out` is written to `w` once it holds this many bytes.
    flush_at: usize,
    vars: Vec<(Arc<str>, V)>,
    /// Arguments of the calls being evaluated (a stack shared by nested calls).
    argv: Vec<V>,
    /// The same arguments without their static types, for host functions and methods.
    plain: Vec<Value>,
    /// The print/printf/println command ending the action being evaluated, which
    /// writes its output directly.
    direct: Option<&'t Command>,
    /// Set when that command has written its output.
    printed: bool,
    depth: usize,
    nesting: usize,
    at: At<'t>,
}

/// How much output is gathered before it is written to the caller's writer.
const FLUSH_AT: usize = 32 * 1024;

pub(crate) fn execute<W: io::Write + ?Sized>(
    t: &Template,
    tree: &Tree,
    w: &mut W,
    data: &Value,
) -> Result<()> {
    execute_buffered(t, tree, w, Vec::with_capacity(8192), FLUSH_AT, data).1
}

/// Executes into `out` directly (no copy through a writer); returns the output, which
/// holds what was written before an error too.
pub(crate) fn execute_to_vec(
    t: &Template,
    tree: &Tree,
    out: Vec<u8>,
    data: &Value,
) -> (Vec<u8>, Result<()>) {
    execute_buffered(t, tree, &mut io::sink(), out, usize::MAX, data)
}

fn execute_buffered<W: io::Write + ?Sized>(
    t: &Template,
    tree: &Tree,
    w: &mut W,
    out: Vec<u8>,
    flush_at: usize,
    data: &Value,
) -> (Vec<u8>, Result<()>) {
    let dot = V::new(match data {
        Value::Nil => Value::Missing,
        d => d.clone(),
    });
    let mut st = State {
        tmpl: t,
        tree,
        w,
        out,
        flush_at,
        vars: vec![(Arc::from("$"), dot.clone())],
        argv: Vec::new(),
        plain: Vec::new(),
        direct: None,
        printed: false,
        depth: 0,
        nesting: 0,
        at: At::None,
    };
    let r = st.walk_list(&dot, &tree.root);
    let flushed = if flush_at == usize::MAX { Ok(()) } else { st.flush() };
    let r = match r {
        Ok(()) | Err(Flow::Break) | Err(Flow::Continue) => flushed,
        Err(Flow::Err(e)) => Err(*e),
    };
    (st.out, r)
}

fn is_hex_int(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() > 2 && b[0] == b'0' && (b[1] == b'x' || b[1] == b'X') && !s.contains(['p', 'P'])
}

/// Go's `canBeNil` for our types.
fn can_be_nil(t: &Type) -> bool {
    matches!(t.kind(), Kind::Interface | Kind::Map | Kind::Slice | Kind::ReflectValue)
}

/// Go's `reflect.Zero(t)`.
pub(crate) fn zero_of(t: &Type) -> Value {
    match t.kind() {
        Kind::Interface => Value::Nil,
        Kind::ReflectValue => Value::Missing,
        Kind::Bool => Value::Bool(false),
        k if k.is_int() => Value::Int(0, k),
        k if k.is_uint() => Value::Uint(0, k),
        k if k.is_float() => Value::Float(0.0, k),
        k if k.is_complex() => Value::Complex(0.0, 0.0, k),
        Kind::String => Value::string(""),
        Kind::Slice => Value::nil_list(t.clone()),
        Kind::Map => Value::nil_map(t.clone()),
        Kind::Struct => {
            let fields = t.fields().iter().map(|_| Value::Missing).collect();
            Value::record(Record::new(t.clone(), fields))
        }
        _ => Value::Missing,
    }
}

fn elem_is_iface(t: &Type) -> bool {
    t.elem().is_some_and(|e| e.kind() == Kind::Interface)
}

impl<'t, W: io::Write + ?Sized> State<'t, '_, W> {
    fn flush(&mut self) -> Result<()> {
        if !self.out.is_empty() {
            let r = self.w.write_all(&self.out);
            self.out.clear();
            r.map_err(Error::Write)?;
        }
        Ok(())
    }

    fn write(&mut self, b: &[u8]) -> R<()> {
        self.out.extend_from_slice(b);
        if self.out.len() >= self.flush_at {
            self.flush().map_err(|e| Flow::Err(Box::new(e)))?;
        }
        Ok(())
    }

    fn errorf<T>(&self, msg: impl Into<String>) -> R<T> {
        let (pos, node) = match self.at {
            At::None => {
                return Err(Flow::Err(Box::new(Error::Exec(Box::new(ExecError {
                    template: self.tree.name.to_string(),
                    location: None,
                    message: msg.into(),
                })))))
            }
            At::Pipe(p) => (p.pos, p.to_string()),
            At::Cmd(c) => (c.pos, c.to_string()),
            At::Arg(a) => (a.pos(), a.to_string()),
            At::Template(t) => (t.pos, {
                let mut s =
                    format!("{{{{template {}", hecd_gostd::strconv::quote(t.name.as_bytes()));
                if let Some(p) = &t.pipe {
                    s.push(' ');
                    s.push_str(&p.to_string());
                }
                s.push_str("}}");
                s
            }),
        };
        let (line, col) = self.tree.line_col(pos);
        Err(Flow::Err(Box::new(Error::Exec(Box::new(ExecError {
            template: self.tree.name.to_string(),
            location: Some(Location { name: self.tree.parse_name.to_string(), line, col, node }),
            message: msg.into(),
        })))))
    }

    fn walk_list(&mut self, dot: &V, nodes: &'t [Node]) -> R<()> {
        self.nesting += 1;
        let r = nodes.iter().try_for_each(|n| self.walk(dot, n));
        self.nesting -= 1;
        r
    }

    fn walk(&mut self, dot: &V, node: &'t Node) -> R<()> {
        match node {
            Node::Text(s, e) => {
                let tree = self.tree;
                self.write(&tree.text[*s as usize..*e as usize])
            }
            Node::Action(pipe) => {
                if self.print_simple(dot, pipe)? {
                    return Ok(());
                }
                // An action ending in print/printf/println formats straight into the
                // output instead of into a string that is then printed.
                self.direct = match pipe.cmds.last() {
                    Some(last) if pipe.decl.is_empty() && is_print_call(last) => Some(last),
                    _ => None,
                };
                let val = self.eval_pipeline(dot, pipe);
                self.direct = None;
                let val = val?;
                if std::mem::take(&mut self.printed) {
                    return Ok(());
                }
                if pipe.decl.is_empty() {
                    self.print_value(&val.v)?;
                }
                Ok(())
            }
            Node::If(b) => self.walk_if_or_with(false, dot, b),
            Node::With(b) => self.walk_if_or_with(true, dot, b),
            Node::Range(b) => self.walk_range(dot, b),
            Node::Template(t) => self.walk_template(dot, t),
            Node::Break => Err(Flow::Break),
            Node::Continue => Err(Flow::Continue),
        }
    }

    /// The fast path of `{{.a.b}}` and `{{$x.a}}`: when the fields are plain record
    /// fields or present map entries (no method, no error possible), prints the value
    /// without copying it. Returns false when the general path must run instead.
    fn print_simple(&mut self, dot: &V, pipe: &'t Pipe) -> R<bool> {
        let [cmd] = &pipe.cmds[..] else { return Ok(false) };
        if !pipe.decl.is_empty() || cmd.args.len() != 1 {
            return Ok(false);
        }
        if self.nesting + PIPE_COST >= MAX_EXEC_NESTING + 100 {
            return Ok(false);
        }
        let found = match &cmd.args[0] {
            Arg::Field { idents, .. } => lookup_fields(&dot.v, idents),
            Arg::Variable { name, fields, .. } if !fields.is_empty() => {
                match self.vars.iter().rev().find(|(n, _)| same_name(n, name)) {
                    Some((_, v)) => lookup_fields(&v.v, fields),
                    None => None,
                }
            }
            _ => None,
        };
        let Some((v, _)) = found else { return Ok(false) };
        match v {
            // The pipeline digs into the interface: a nil one prints as invalid.
            Value::Nil | Value::Missing => self.out.extend_from_slice(b"<no value>"),
            Value::String(s) => self.out.extend_from_slice(s.as_bytes()),
            v => gofmt::print_value(&mut self.out, v, true),
        }
        if self.out.len() >= self.flush_at {
            self.flush().map_err(|e| Flow::Err(Box::new(e)))?;
        }
        Ok(true)
    }

    fn print_value(&mut self, v: &Value) -> R<()> {
        match v {
            Value::Missing => self.write(b"<no value>"),
            Value::String(s) => self.write(s.as_bytes()),
            v => {
                let mut buf = std::mem::take(&mut self.out);
                gofmt::print_value(&mut buf, v, true);
                self.out = buf;
                if self.out.len() >= self.flush_at {
                    self.flush().map_err(|e| Flow::Err(Box::new(e)))?;
                }
                Ok(())
            }
        }
    }

    fn walk_if_or_with(&mut self, with: bool, dot: &V, b: &'t Branch) -> R<()> {
        let mark = self.vars.len();
        let r = (|| {
            let val = self.eval_pipeline(dot, &b.pipe)?;
            if val.concrete().truth() {
                if with {
                    self.walk_list(&val, &b.list)
                } else {
                    self.walk_list(dot, &b.list)
                }
            } else if let Some(e) = &b.else_list {
                self.walk_list(dot, e)
            } else {
                Ok(())
            }
        })();
        self.vars.truncate(mark);
        r
    }

    fn one_iteration(&mut self, b: &'t Branch, mark: usize, index: V, elem: V) -> R<bool> {
        let n = self.vars.len();
        if !b.pipe.decl.is_empty() {
            self.vars[n - 1].1 = elem.clone();
        }
        if b.pipe.decl.len() > 1 {
            self.vars[n - 2].1 = index;
        }
        let r = self.walk_list(&elem, &b.list);
        self.vars.truncate(mark);
        match r {
            Ok(()) | Err(Flow::Continue) => Ok(true),
            Err(Flow::Break) => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn walk_range(&mut self, dot: &V, b: &'t Branch) -> R<()> {
        let mark0 = self.vars.len();
        let r = (|| {
            let val = self.eval_pipeline(dot, &b.pipe)?;
            let mark = self.vars.len();
            match val.concrete() {
                Value::List(l) if !l.items.is_empty() => {
                    let iface = elem_is_iface(&l.ty);
                    let l = l.clone();
                    for (i, e) in l.items.iter().enumerate() {
                        let idx = V::new(Value::int(i as i64));
                        if !self.one_iteration(b, mark, idx, V { v: e.clone(), iface })? {
                            break;
                        }
                    }
                    return Ok(());
                }
                Value::Map(m) if !m.entries.is_empty() => {
                    let iface = elem_is_iface(&m.ty);
                    let m = m.clone();
                    for (k, e) in m.entries.iter() {
                        let idx = V::new(Value::String(k.clone()));
                        if !self.one_iteration(b, mark, idx, V { v: e.clone(), iface })? {
                            break;
                        }
                    }
                    return Ok(());
                }
                Value::List(_) | Value::Map(_) | Value::Missing => {}
                other => {
                    let mut s = Vec::new();
                    gofmt::print_value(&mut s, other, false);
                    return self.errorf(format!(
                        "range can't iterate over {}",
                        String::from_utf8_lossy(&s)
                    ));
                }
            }
            if let Some(e) = &b.else_list {
                self.walk_list(dot, e)?;
            }
            Ok(())
        })();
        self.vars.truncate(mark0);
        r
    }

    fn walk_template(&mut self, dot: &V, t: &'t TemplateCall) -> R<()> {
        self.at = At::Template(t);
        let tmpl: &'t Template = self.tmpl;
        let Some(tree) = tmpl.set.get(&*t.name) else {
            return self.errorf(format!(
                "template {} not defined",
                hecd_gostd::strconv::quote(t.name.as_bytes())
            ));
        };
        if self.depth >= MAX_EXEC_DEPTH || self.nesting >= MAX_EXEC_NESTING {
            return self.errorf(format!("exceeded maximum template depth ({MAX_EXEC_DEPTH_GO})"));
        }
        let newdot = match &t.pipe {
            Some(p) => self.eval_pipeline(dot, p)?,
            None => V::missing(),
        };
        let tree: &'t Tree = tree;
        let saved_tree = std::mem::replace(&mut self.tree, tree);
        let saved_vars = std::mem::replace(&mut self.vars, vec![(Arc::from("$"), newdot.clone())]);
        self.depth += 1;
        let r = self.walk_list(&newdot, &tree.root);
        self.depth -= 1;
        self.vars = saved_vars;
        self.tree = saved_tree;
        r
    }

    fn var_value(&self, name: &str) -> R<V> {
        for (n, v) in self.vars.iter().rev() {
            if same_name(n, name) {
                return Ok(v.clone());
            }
        }
        self.errorf(format!("undefined variable: {name}"))
    }

    fn set_var(&mut self, name: &str, value: V) -> R<()> {
        for (n, v) in self.vars.iter_mut().rev() {
            if &**n == name {
                *v = value;
                return Ok(());
            }
        }
        self.errorf(format!("undefined variable: {name}"))
    }

    fn eval_pipeline(&mut self, dot: &V, pipe: &'t Pipe) -> R<V> {
        self.at = At::Pipe(pipe);
        if self.nesting >= MAX_EXEC_NESTING + 100 {
            return self.errorf(format!("exceeded maximum template depth ({MAX_EXEC_DEPTH_GO})"));
        }
        self.nesting += PIPE_COST;
        let r = self.eval_pipeline_inner(dot, pipe);
        self.nesting -= PIPE_COST;
        r
    }

    fn eval_pipeline_inner(&mut self, dot: &V, pipe: &'t Pipe) -> R<V> {
        let mut value: Option<V> = None;
        for cmd in &pipe.cmds {
            let v = self.eval_command(dot, cmd, value.take())?;
            // Dig one level into interface values.
            value = Some(V::new(match v.v {
                Value::Nil => Value::Missing,
                other => other,
            }));
        }
        let value = value.unwrap_or_else(V::missing);
        for var in &pipe.decl {
            if pipe.is_assign {
                self.set_var(&var.name, value.clone())?;
            } else {
                self.vars.push((var.name.clone(), value.clone()));
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, args: &'t [Arg], has_final: bool) -> R<()> {
        if args.len() > 1 || has_final {
            return self.errorf(format!("can't give argument to non-function {}", args[0]));
        }
        Ok(())
    }

    fn eval_command(&mut self, dot: &V, cmd: &'t Command, fin: Option<V>) -> R<V> {
        let first = &cmd.args[0];
        match first {
            Arg::Field { idents, .. } => {
                return self.eval_field_node(dot, first, idents, &cmd.args, fin)
            }
            Arg::Chain { node, fields, .. } => {
                return self.eval_chain_node(dot, first, node, fields, &cmd.args, fin)
            }
            Arg::Ident { name, func, .. } => {
                self.at = At::Arg(first);
                if self.direct.is_some_and(|d| std::ptr::eq(d, cmd)) {
                    self.direct = None;
                    if let FuncRef::Builtin(b, sig) = func {
                        return self.print_call(dot, *b, sig, name, &cmd.args, fin);
                    }
                }
                return self.eval_call(dot, callee_of(func), At::Cmd(cmd), name, &cmd.args, fin);
            }
            Arg::Pipe(p) => {
                self.not_a_function(&cmd.args, fin.is_some())?;
                return self.eval_pipeline(dot, p);
            }
            Arg::Variable { name, fields, .. } => {
                return self.eval_variable_node(dot, first, name, fields, &cmd.args, fin)
            }
            _ => {}
        }
        self.at = At::Arg(first);
        self.not_a_function(&cmd.args, fin.is_some())?;
        match first {
            Arg::Bool(_, b) => Ok(V::new(Value::Bool(*b))),
            Arg::Dot(_) => Ok(dot.clone()),
            Arg::Nil(_) => self.errorf("nil is not a command"),
            Arg::Number(n) => self.ideal_constant(first, n),
            Arg::String { value, .. } => Ok(V::new(value.clone())),
            _ => self.errorf(format!("can't evaluate command {}", first)),
        }
    }

    fn ideal_constant(&mut self, node: &'t Arg, n: &Number) -> R<V> {
        self.at = At::Arg(node);
        if n.is_complex {
            return Ok(V::new(Value::Complex(n.complex.0, n.complex.1, Kind::Complex128)));
        }
        if n.is_float
            && !is_hex_int(&n.text)
            && !n.text.starts_with('\'')
            && n.text.contains(['.', 'e', 'E', 'p', 'P'])
        {
            return Ok(V::new(Value::float64(n.float)));
        }
        if n.is_int {
            return Ok(V::new(Value::int(n.int)));
        }
        if n.is_uint {
            return self.errorf(format!("{} overflows int", n.text));
        }
        Ok(V::missing())
    }

    fn eval_field_node(
        &mut self,
        dot: &V,
        node: &'t Arg,
        idents: &'t [Arc<str>],
        args: &'t [Arg],
        fin: Option<V>,
    ) -> R<V> {
        self.at = At::Arg(node);
        self.eval_field_chain(dot, dot.clone(), node, idents, args, fin)
    }

    fn eval_chain_node(
        &mut self,
        dot: &V,
        chain: &'t Arg,
        inner: &'t Arg,
        fields: &'t [Arc<str>],
        args: &'t [Arg],
        fin: Option<V>,
    ) -> R<V> {
        self.at = At::Arg(chain);
        if let Arg::Nil(_) = inner {
            return self.errorf(format!("indirection through explicit nil in {chain}"));
        }
        let pipe = self.eval_arg(dot, None, inner)?;
        self.eval_field_chain(dot, pipe, chain, fields, args, fin)
    }

    fn eval_variable_node(
        &mut self,
        dot: &V,
        node: &'t Arg,
        name: &str,
        fields: &'t [Arc<str>],
        args: &'t [Arg],
        fin: Option<V>,
    ) -> R<V> {
        self.at = At::Arg(node);
        let value = self.var_value(name)?;
        if fields.is_empty() {
            self.not_a_function(args, fin.is_some())?;
            return Ok(value);
        }
        self.eval_field_chain(dot, value, node, fields, args, fin)
    }

    fn eval_field_chain(
        &mut self,
        dot: &V,
        mut receiver: V,
        node: &'t Arg,
        idents: &'t [Arc<str>],
        args: &'t [Arg],
        fin: Option<V>,
    ) -> R<V> {
        let n = idents.len();
        for id in &idents[..n - 1] {
            receiver = self.eval_field(dot, id, node, &[], None, receiver)?;
        }
        self.eval_field(dot, &idents[n - 1], node, args, fin, receiver)
    }

    fn eval_field(
        &mut self,
        dot: &V,
        name: &str,
        node: &'t Arg,
        args: &'t [Arg],
        fin: Option<V>,
        receiver: V,
    ) -> R<V> {
        if receiver.v.is_missing() {
            if self.tmpl.missing_key == MissingKey::Error {
                return self.errorf(format!(
                    "nil data; no entry for key {}",
                    hecd_gostd::strconv::quote(name.as_bytes())
                ));
            }
            return Ok(V::missing());
        }
        if receiver.v.is_nil() {
            let typ = receiver.static_type();
            return self.errorf(format!("nil pointer evaluating {typ}.{name}"));
        }
        let method = match &receiver.v {
            Value::List(l) => l.ty.method(name),
            Value::Map(m) => m.ty.method(name),
            Value::Record(r) => r.ty.method(name),
            _ => None,
        };
        if let Some(m) = method {
            let m = m.clone();
            let recv = V::new(receiver.v.clone());
            return self.eval_call(dot, Callee::Method(recv, m), At::Arg(node), name, args, fin);
        }
        let has_args = args.len() > 1 || fin.is_some();
        match &receiver.v {
            Value::Record(r) => {
                if let Some(f) = r.field(name) {
                    if has_args {
                        return self.errorf(format!(
                            "{name} has arguments but cannot be invoked as function"
                        ));
                    }
                    return Ok(V::new(f.clone()));
                }
            }
            Value::Map(m) if m.ty.key().is_none_or(|k| k.kind() == Kind::String) => {
                if has_args {
                    return self.errorf(format!("{name} is not a method but has arguments"));
                }
                let iface = elem_is_iface(&m.ty);
                return match m.entries.get(name.as_bytes()) {
                    Some(v) => Ok(V { v: v.clone(), iface }),
                    None => match self.tmpl.missing_key {
                        MissingKey::Default => Ok(V::missing()),
                        MissingKey::Zero => {
                            let z = m.ty.elem().map_or(Value::Missing, zero_of);
                            Ok(V { v: z, iface })
                        }
                        MissingKey::Error => self.errorf(format!(
                            "map has no entry for key {}",
                            hecd_gostd::strconv::quote(name.as_bytes())
                        )),
                    },
                };
            }
            _ => {}
        }
        let typ = receiver.static_type();
        self.errorf(format!("can't evaluate field {name} in type {typ}"))
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_call(
        &mut self,
        dot: &V,
        callee: Callee<'t>,
        node: At<'t>,
        name: &str,
        args: &'t [Arg],
        fin: Option<V>,
    ) -> R<V> {
        let args = if args.is_empty() { args } else { &args[1..] };
        let sig: &Signature = match &callee {
            Callee::Builtin(_, sig) => sig,
            Callee::Func(f) => &f.sig,
            Callee::Method(_, m) => &m.sig,
        };
        let num_in = args.len() + usize::from(fin.is_some());
        let variadic = sig.variadic.is_some();
        let num_fixed = if variadic { sig.params.len() } else { args.len() };
        if variadic {
            if num_in < num_fixed {
                return self.errorf(format!(
                    "wrong number of args for {name}: want at least {} got {}",
                    sig.params.len(),
                    args.len()
                ));
            }
        } else if num_in != sig.params.len() {
            return self.errorf(format!(
                "wrong number of args for {name}: want {} got {}",
                sig.params.len(),
                num_in
            ));
        }
        if let Callee::Builtin(b @ (Builtin::And | Builtin::Or), _) = &callee {
            let is_or = *b == Builtin::Or;
            let rv = Type::reflect_value();
            let mut v = V::missing();
            for a in args {
                v = self.eval_arg(dot, Some(&rv), a)?;
                if v.concrete().truth() == is_or {
                    return Ok(v);
                }
            }
            if let Some(f) = fin {
                v = self.validate_type(f, Some(&rv))?;
            }
            return Ok(v);
        }
        // The arguments go on a stack kept across calls (nested calls push above and
        // truncate back), so that a call allocates no argument vector.
        let base = self.argv.len();
        let r = self.push_args(dot, sig, args, fin, num_in, num_fixed);
        let result = match r {
            Err(e) => {
                self.argv.truncate(base);
                return Err(e);
            }
            Ok(()) => match &callee {
                Callee::Builtin(b, _) => {
                    builtins::call(*b, &self.argv[base..], self.tmpl.missing_key)
                }
                Callee::Func(f) => {
                    let pbase = self.plain.len();
                    self.plain.extend(self.argv.drain(base..).map(|v| v.v));
                    let r = (f.imp)(&self.plain[pbase..])
                        .map(V::new)
                        .map_err(|e| e.message().to_string());
                    self.plain.truncate(pbase);
                    if let (Ok(v), Some(i)) = (&r, f.sig.mutates_arg) {
                        if let Some(Arg::Variable { name, fields, .. }) = args.get(i) {
                            if fields.is_empty() {
                                self.set_var(name, v.clone())?;
                            }
                        }
                    }
                    r
                }
                Callee::Method(recv, m) => {
                    let pbase = self.plain.len();
                    self.plain.extend(self.argv.drain(base..).map(|v| v.v));
                    let r = (m.imp)(&recv.v, &self.plain[pbase..])
                        .map(V::new)
                        .map_err(|e| e.message().to_string());
                    self.plain.truncate(pbase);
                    r
                }
            },
        };
        self.argv.truncate(base);
        match result {
            Ok(v) => Ok(v),
            Err(msg) => {
                self.at = node;
                self.errorf(format!("error calling {name}: {msg}"))
            }
        }
    }

    /// `print`, `printf` or `println` as the last command of an action: checks and
    /// converts the arguments exactly as [`State::eval_call`] does, then formats them
    /// into the output (and sets `self.printed`) instead of returning a string.
    fn print_call(
        &mut self,
        dot: &V,
        b: Builtin,
        sig: &Signature,
        name: &str,
        args: &'t [Arg],
        fin: Option<V>,
    ) -> R<V> {
        let args = if args.is_empty() { args } else { &args[1..] };
        let num_in = args.len() + usize::from(fin.is_some());
        // print, printf and println are variadic (printf after its format).
        let num_fixed = sig.params.len();
        if num_in < num_fixed {
            return self.errorf(format!(
                "wrong number of args for {name}: want at least {} got {}",
                sig.params.len(),
                args.len()
            ));
        }
        let base = self.argv.len();
        if let Err(e) = self.push_args(dot, sig, args, fin, num_in, num_fixed) {
            self.argv.truncate(base);
            return Err(e);
        }
        let pbase = self.plain.len();
        self.plain.extend(self.argv.drain(base..).map(|v| v.v));
        let vals = &self.plain[pbase..];
        match (b, vals.split_first()) {
            (Builtin::Printf, Some((format, rest))) => {
                gofmt::sprintf(&mut self.out, format.as_bytes().unwrap_or_default(), rest)
            }
            (Builtin::Println, _) => gofmt::sprintln(&mut self.out, vals),
            _ => gofmt::sprint(&mut self.out, vals),
        }
        self.plain.truncate(pbase);
        self.printed = true;
        if self.out.len() >= self.flush_at {
            self.flush().map_err(|e| Flow::Err(Box::new(e)))?;
        }
        Ok(V::missing())
    }

    /// Evaluates and converts a call's arguments onto `self.argv`.
    fn push_args(
        &mut self,
        dot: &V,
        sig: &Signature,
        args: &'t [Arg],
        fin: Option<V>,
        num_in: usize,
        num_fixed: usize,
    ) -> R<()> {
        let mut i = 0;
        while i < num_fixed && i < args.len() {
            let v = self.eval_arg(dot, Some(&sig.params[i]), &args[i])?;
            self.argv.push(v);
            i += 1;
        }
        if let Some(vt) = &sig.variadic {
            while i < args.len() {
                let v = self.eval_arg(dot, Some(vt), &args[i])?;
                self.argv.push(v);
                i += 1;
            }
        }
        if let Some(f) = fin {
            let t = match &sig.variadic {
                Some(vt) => {
                    if num_in - 1 < num_fixed {
                        &sig.params[num_in - 1]
                    } else {
                        vt
                    }
                }
                None => &sig.params[sig.params.len() - 1],
            };
            let v = self.validate_type(f, Some(t))?;
            self.argv.push(v);
        }
        Ok(())
    }

    fn validate_type(&self, value: V, typ: Option<&Type>) -> R<V> {
        let Some(typ) = typ else { return Ok(value) };
        if value.v.is_missing() {
            if can_be_nil(typ) {
                return Ok(V::new(zero_of(typ)));
            }
            return self.errorf(format!("invalid value; expected {typ}"));
        }
        match typ.kind() {
            Kind::ReflectValue | Kind::Interface => return Ok(value),
            _ => {}
        }
        if value.v.is_nil() {
            return self
                .errorf(format!("wrong type for value; expected {typ}; got interface {{}}"));
        }
        if value.v.kind().is_some_and(|k| typ.is_basic_of(k)) {
            // A basic value's type is the unnamed basic type of its kind.
            return Ok(V::new(value.v));
        }
        let vt = value.v.go_type();
        match vt {
            Some(vt) if vt.assignable_to(typ) => Ok(V::new(value.v)),
            Some(vt) => self.errorf(format!("wrong type for value; expected {typ}; got {vt}")),
            None => self.errorf(format!("invalid value; expected {typ}")),
        }
    }

    fn eval_arg(&mut self, dot: &V, typ: Option<&Type>, n: &'t Arg) -> R<V> {
        self.at = At::Arg(n);
        match n {
            Arg::Dot(_) => return self.validate_type(dot.clone(), typ),
            Arg::Nil(_) => {
                return match typ {
                    Some(t) if can_be_nil(t) => Ok(V::new(zero_of(t))),
                    Some(t) => self.errorf(format!("cannot assign nil to {t}")),
                    None => Ok(V::missing()),
                }
            }
            Arg::Field { idents, .. } => {
                if let Some((v, iface)) = lookup_fields(&dot.v, idents) {
                    return self.validate_type(V { v: v.clone(), iface }, typ);
                }
                let v = self.eval_field_node(dot, n, idents, std::slice::from_ref(n), None)?;
                return self.validate_type(v, typ);
            }
            Arg::Variable { name, fields, .. } => {
                if !fields.is_empty() {
                    let found = self
                        .vars
                        .iter()
                        .rev()
                        .find(|(v, _)| same_name(v, name))
                        .and_then(|(_, v)| lookup_fields(&v.v, fields));
                    if let Some((v, iface)) = found {
                        let v = V { v: v.clone(), iface };
                        return self.validate_type(v, typ);
                    }
                }
                let v = self.eval_variable_node(dot, n, name, fields, &[], None)?;
                return self.validate_type(v, typ);
            }
            Arg::Pipe(p) => {
                let v = self.eval_pipeline(dot, p)?;
                return self.validate_type(v, typ);
            }
            Arg::Ident { name, func, .. } => {
                self.at = At::Arg(n);
                let v = self.eval_call(dot, callee_of(func), At::Arg(n), name, &[], None)?;
                return self.validate_type(v, typ);
            }
            Arg::Chain { node, fields, .. } => {
                let v = self.eval_chain_node(dot, n, node, fields, &[], None)?;
                return self.validate_type(v, typ);
            }
            _ => {}
        }
        let Some(typ) = typ else {
            return self.errorf(format!("can't handle {n} for arg of type <nil>"));
        };
        let k = typ.kind();
        match k {
            Kind::Bool => match n {
                Arg::Bool(_, b) => Ok(V::new(Value::Bool(*b))),
                _ => self.errorf(format!("expected bool; found {n}")),
            },
            k if k.is_complex() => match n {
                Arg::Number(num) if num.is_complex => {
                    Ok(V::new(Value::Complex(num.complex.0, num.complex.1, k)))
                }
                _ => self.errorf(format!("expected complex; found {n}")),
            },
            k if k.is_float() => match n {
                Arg::Number(num) if num.is_float => {
                    let f =
                        if k == Kind::Float32 { f64::from(num.float as f32) } else { num.float };
                    Ok(V::new(Value::Float(f, k)))
                }
                _ => self.errorf(format!("expected float; found {n}")),
            },
            k if k.is_int() => match n {
                Arg::Number(num) if num.is_int => {
                    Ok(V::new(Value::Int(truncate_int(num.int, k), k)))
                }
                _ => self.errorf(format!("expected integer; found {n}")),
            },
            k if k.is_uint() => match n {
                Arg::Number(num) if num.is_uint => {
                    Ok(V::new(Value::Uint(truncate_uint(num.uint, k), k)))
                }
                _ => self.errorf(format!("expected unsigned integer; found {n}")),
            },
            Kind::String => match n {
                Arg::String { value, .. } => Ok(V::new(value.clone())),
                _ => self.errorf(format!("expected string; found {n}")),
            },
            Kind::Interface | Kind::ReflectValue => match n {
                Arg::Bool(_, b) => Ok(V::new(Value::Bool(*b))),
                Arg::Number(num) => self.ideal_constant(n, num),
                Arg::String { value, .. } => Ok(V::new(value.clone())),
                _ => self
                    .errorf(format!("can't handle assignment of {n} to empty interface argument")),
            },
            _ => self.errorf(format!("can't handle {n} for arg of type {typ}")),
        }
    }
}

fn truncate_int(v: i64, k: Kind) -> i64 {
    match k {
        Kind::Int8 => i64::from(v as i8),
        Kind::Int16 => i64::from(v as i16),
        Kind::Int32 => i64::from(v as i32),
        _ => v,
    }
}

fn truncate_uint(v: u64, k: Kind) -> u64 {
    match k {
        Kind::Uint8 => u64::from(v as u8),
        Kind::Uint16 => u64::from(v as u16),
        Kind::Uint32 => u64::from(v as u32),
        _ => v,
    }
}

/// True for a command calling the builtin print, printf or println.
fn is_print_call(cmd: &Command) -> bool {
    matches!(
        cmd.args.first(),
        Some(Arg::Ident {
            func: FuncRef::Builtin(Builtin::Print | Builtin::Printf | Builtin::Println, _),
            ..
        })
    )
}

/// Variable names are interned by the parser: pointer equality is the fast path.
fn same_name(a: &str, b: &str) -> bool {
    std::ptr::eq(a.as_ptr(), b.as_ptr()) && a.len() == b.len() || a == b
}

/// Follows `idents` from `v` by reference through record fields and present entries of
/// string-keyed maps, as [`State::eval_field`] would when it meets no method, no missing
/// entry and no nil; `None` for anything else (the general path decides). Also says
/// whether the value came out of an interface-typed map (its static type).
fn lookup_fields<'a>(mut v: &'a Value, idents: &[Arc<str>]) -> Option<(&'a Value, bool)> {
    let mut iface = false;
    for id in idents {
        (v, iface) = match v {
            Value::Record(r) if r.ty.method(id).is_none() => (r.field(id)?, false),
            Value::Map(m)
                if m.ty.method(id).is_none()
                    && m.ty.key().is_none_or(|k| k.kind() == Kind::String) =>
            {
                (m.entries.get(id.as_bytes())?, elem_is_iface(&m.ty))
            }
            _ => return None,
        };
    }
    Some((v, iface))
}

fn callee_of(f: &FuncRef) -> Callee<'_> {
    match f {
        FuncRef::Builtin(b, sig) => Callee::Builtin(*b, sig),
        FuncRef::User(f) => Callee::Func(f),
    }
}

#[cfg(test)]
mod tests;
