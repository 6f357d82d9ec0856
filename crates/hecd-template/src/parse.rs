//! The parser: tokens → [`crate::ast::Tree`]s, a recursive-descent
//! mirror of Go 1.19's `parse/parse.go` (same look-ahead buffer, so error
//! lines and texts match), with parse-time function and variable checks.

use std::collections::HashMap;
use std::sync::Arc;

use crate::ast::{Arg, Branch, Command, FuncRef, Node, Pipe, TemplateCall, Tree, Var};
use crate::builtins::Builtin;
use crate::error::{Error, ParseError, Result};
use crate::func::FuncMap;
use crate::lex::{Lexer, Tok, Token};
use crate::value::Value;

/// Parse failure: Go's message and the line it reports.
struct PErr {
    line: u32,
    msg: String,
}

type PResult<T> = std::result::Result<T, PErr>;

/// Per-tree parser state (Go's `Tree` fields used while parsing).
struct TState {
    token: [Token; 3],
    peek_count: usize,
    vars: Vec<Arc<str>>,
    range_depth: usize,
    action_line: u32,
}

impl TState {
    fn new() -> TState {
        let t = Token { typ: Tok::Eof, pos: 0, end: 0, line: 0, msg: None };
        TState {
            token: [t.clone(), t.clone(), t],
            peek_count: 0,
            vars: vec![Arc::from("$")],
            range_depth: 0,
            action_line: 0,
        }
    }
}

struct Parser<'a> {
    src: &'a [u8],
    text: Arc<[u8]>,
    parse_name: Arc<str>,
    toks: Vec<Token>,
    next_tok: usize,
    funcs: &'a FuncMap,
    st: TState,
    /// Trees defined so far (Go's treeSet), in definition order.
    set: Vec<Tree>,
    /// Current nesting of pipelines and control structures.
    depth: usize,
    /// Variable names, interned so execution compares pointers first.
    interned: HashMap<Vec<u8>, Arc<str>>,
}

/// Maximum nesting of parenthesised pipelines and control structures; Go
/// 1.19 has no limit, later releases use this error text.
pub(crate) const MAX_PARSE_DEPTH: usize = 200;

/// Parses `src` into the main tree plus defined trees (Go's `parse.Parse`).
#[cfg(test)]
pub(crate) fn parse(name: &str, src: &[u8], funcs: &FuncMap) -> Result<Vec<Tree>> {
    parse_with_delims(name, src, funcs, "", "")
}

/// [`parse`] with custom action delimiters (empty = default).
pub(crate) fn parse_with_delims(
    name: &str,
    src: &[u8],
    funcs: &FuncMap,
    left: &str,
    right: &str,
) -> Result<Vec<Tree>> {
    let has = |n: &str| funcs.get(n).is_some();
    let toks = Lexer::lex_all_delims(
        src,
        left.as_bytes(),
        right.as_bytes(),
        !has("break"),
        !has("continue"),
    );
    let parse_name: Arc<str> = name.into();
    let mut p = Parser {
        src,
        text: Arc::from(src),
        parse_name: parse_name.clone(),
        toks,
        next_tok: 0,
        funcs,
        st: TState::new(),
        set: Vec::new(),
        depth: 0,
        interned: HashMap::new(),
    };
    match p.parse_main(name) {
        Ok(()) => Ok(p.set),
        Err(e) => Err(Error::Parse(Box::new(ParseError {
            name: parse_name.to_string(),
            line: e.line as usize,
            message: e.msg,
        }))),
    }
}

/// Adds parsed trees to a template set (Go's `AddParseTree`/`associate`):
/// an empty tree never replaces an existing definition.
pub(crate) fn add_trees(
    _main: &str,
    set: &mut HashMap<String, Arc<Tree>>,
    trees: Vec<Tree>,
) -> Result<()> {
    for t in trees {
        let name = t.name.to_string();
        if set.contains_key(&name) && t.is_empty() {
            continue;
        }
        set.insert(name, Arc::new(t));
    }
    Ok(())
}

enum Item {
    Node(Node),
    End,
    Else,
}

impl<'a> Parser<'a> {
    fn errorf<T>(&self, msg: impl Into<String>) -> PResult<T> {
        Err(PErr { line: self.st.token[0].line, msg: msg.into() })
    }

    fn lex_next(&mut self) -> Token {
        match self.toks.get(self.next_tok) {
            Some(t) => {
                self.next_tok += 1;
                t.clone()
            }
            // Past the end: the last token (EOF or an error) again.
            None => self.toks.last().cloned().unwrap_or(Token {
                typ: Tok::Eof,
                pos: self.src.len() as u32,
                end: self.src.len() as u32,
                line: 1,
                msg: None,
            }),
        }
    }

    fn next(&mut self) -> Token {
        if self.st.peek_count > 0 {
            self.st.peek_count -= 1;
        } else {
            self.st.token[0] = self.lex_next();
        }
        self.st.token[self.st.peek_count].clone()
    }

    fn backup(&mut self) {
        self.st.peek_count += 1;
    }

    fn backup2(&mut self, t1: Token) {
        self.st.token[1] = t1;
        self.st.peek_count = 2;
    }

    fn backup3(&mut self, t2: Token, t1: Token) {
        self.st.token[1] = t1;
        self.st.token[2] = t2;
        self.st.peek_count = 3;
    }

    fn peek(&mut self) -> Token {
        if self.st.peek_count > 0 {
            return self.st.token[self.st.peek_count - 1].clone();
        }
        self.st.peek_count = 1;
        self.st.token[0] = self.lex_next();
        self.st.token[0].clone()
    }

    fn next_non_space(&mut self) -> Token {
        loop {
            let t = self.next();
            if t.typ != Tok::Space {
                return t;
            }
        }
    }

    fn peek_non_space(&mut self) -> Token {
        let t = self.next_non_space();
        self.backup();
        t
    }

    fn unexpected<T>(&self, tok: &Token, context: &str) -> PResult<T> {
        if tok.typ == Tok::Error {
            let mut extra = String::new();
            if self.st.action_line != 0 && self.st.action_line != tok.line {
                extra =
                    format!(" in action started at {}:{}", self.parse_name, self.st.action_line);
                if tok.msg.as_deref().unwrap_or("").ends_with(" action") {
                    extra = extra[" in action".len()..].to_string();
                }
            }
            return self.errorf(format!("{}{}", tok.describe(self.src), extra));
        }
        self.errorf(format!("unexpected {} in {}", tok.describe(self.src), context))
    }

    fn expect(&mut self, typ: Tok, context: &str) -> PResult<Token> {
        let t = self.next_non_space();
        if t.typ != typ {
            return self.unexpected(&t, context);
        }
        Ok(t)
    }

    fn has_function(&self, name: &str) -> bool {
        self.funcs.get(name).is_some() || Builtin::lookup(name).is_some()
    }

    fn new_tree(&self, name: Arc<str>, root: Vec<Node>) -> Tree {
        Tree { name, parse_name: self.parse_name.clone(), text: self.text.clone(), root }
    }

    /// Go's `Tree.add`: within one parse, a second non-empty definition is
    /// an error; an empty one never replaces a non-empty one.
    fn add(&mut self, tree: Tree) -> PResult<()> {
        match self.set.iter().position(|t| t.name == tree.name) {
            None => self.set.push(tree),
            Some(i) => {
                if self.set[i].is_empty() {
                    self.set[i] = tree;
                } else if !tree.is_empty() {
                    return self.errorf(format!(
                        "template: multiple definition of template {}",
                        hecd_gostd::strconv::quote(tree.name.as_bytes())
                    ));
                }
            }
        }
        Ok(())
    }

    fn parse_main(&mut self, name: &str) -> PResult<()> {
        let mut root = Vec::new();
        while self.peek().typ != Tok::Eof {
            if self.peek().typ == Tok::LeftDelim {
                let delim = self.next();
                if self.next_non_space().typ == Tok::Define {
                    let saved = std::mem::replace(&mut self.st, TState::new());
                    let r = self.parse_definition();
                    self.st = saved;
                    r?;
                    continue;
                }
                self.backup2(delim);
            }
            match self.text_or_action()? {
                Item::Node(n) => root.push(n),
                Item::End => return self.errorf("unexpected {{end}}"),
                Item::Else => return self.errorf("unexpected {{else}}"),
            }
        }
        let tree = self.new_tree(name.into(), root);
        self.add(tree)
    }

    fn parse_definition(&mut self) -> PResult<()> {
        let context = "define clause";
        let t = self.next_non_space();
        if t.typ != Tok::String && t.typ != Tok::RawString {
            return self.unexpected(&t, context);
        }
        let Some(name) = hecd_gostd::strconv::unquote(t.val(self.src)) else {
            return self.errorf("invalid syntax");
        };
        self.expect(Tok::RightDelim, context)?;
        let (root, end) = self.item_list()?;
        if let Item::Else = end {
            return self.errorf(format!("unexpected {{{{else}}}} in {context}"));
        }
        let name: Arc<str> = String::from_utf8_lossy(&name).into();
        let tree = self.new_tree(name, root);
        self.add(tree)
    }

    fn item_list(&mut self) -> PResult<(Vec<Node>, Item)> {
        let mut list = Vec::new();
        while self.peek_non_space().typ != Tok::Eof {
            match self.text_or_action()? {
                Item::Node(n) => list.push(n),
                other => return Ok((list, other)),
            }
        }
        self.errorf("unexpected EOF")
    }

    fn text_or_action(&mut self) -> PResult<Item> {
        let t = self.next_non_space();
        match t.typ {
            Tok::Text => Ok(Item::Node(Node::Text(t.pos, t.end))),
            Tok::LeftDelim => {
                self.st.action_line = t.line;
                let r = self.action();
                self.st.action_line = 0;
                r
            }
            _ => self.unexpected(&t, "input"),
        }
    }

    fn action(&mut self) -> PResult<Item> {
        if self.depth >= MAX_PARSE_DEPTH {
            return self.errorf("max expression depth exceeded");
        }
        self.depth += 1;
        let r = self.action_inner();
        self.depth -= 1;
        r
    }

    fn action_inner(&mut self) -> PResult<Item> {
        let t = self.next_non_space();
        match t.typ {
            Tok::Block => return self.block_control().map(Item::Node),
            Tok::Break => return self.break_control(true).map(Item::Node),
            Tok::Continue => return self.break_control(false).map(Item::Node),
            Tok::Else => return self.else_control(),
            Tok::End => {
                self.expect(Tok::RightDelim, "end")?;
                return Ok(Item::End);
            }
            Tok::If => return self.branch("if", true).map(|b| Item::Node(Node::If(Box::new(b)))),
            Tok::Range => {
                return self.branch("range", false).map(|b| Item::Node(Node::Range(Box::new(b))))
            }
            Tok::Template => return self.template_control().map(Item::Node),
            Tok::With => {
                return self.branch("with", false).map(|b| Item::Node(Node::With(Box::new(b))))
            }
            _ => {}
        }
        self.backup();
        let pipe = self.pipeline("command", Tok::RightDelim)?;
        Ok(Item::Node(Node::Action(Box::new(pipe))))
    }

    fn break_control(&mut self, is_break: bool) -> PResult<Node> {
        let kw = if is_break { "break" } else { "continue" };
        let t = self.next_non_space();
        if t.typ != Tok::RightDelim {
            return self.unexpected(&t, &format!("{{{{{kw}}}}}"));
        }
        if self.st.range_depth == 0 {
            return self.errorf(format!("{{{{{kw}}}}} outside {{{{range}}}}"));
        }
        Ok(if is_break { Node::Break } else { Node::Continue })
    }

    fn else_control(&mut self) -> PResult<Item> {
        let peek = self.peek_non_space();
        if peek.typ == Tok::If {
            return Ok(Item::Else);
        }
        self.expect(Tok::RightDelim, "else")?;
        Ok(Item::Else)
    }

    fn branch(&mut self, context: &str, allow_else_if: bool) -> PResult<Branch> {
        let nvars = self.st.vars.len();
        let r = self.branch_inner(context, allow_else_if);
        self.st.vars.truncate(nvars);
        r
    }

    fn branch_inner(&mut self, context: &str, allow_else_if: bool) -> PResult<Branch> {
        let pipe = self.pipeline(context, Tok::RightDelim)?;
        if context == "range" {
            self.st.range_depth += 1;
        }
        let r = self.item_list();
        if context == "range" {
            self.st.range_depth -= 1;
        }
        let (list, next) = r?;
        let mut else_list = None;
        match next {
            Item::End => {}
            Item::Else => {
                if allow_else_if && self.peek().typ == Tok::If {
                    self.next();
                    let inner = self.branch("if", true)?;
                    else_list = Some(vec![Node::If(Box::new(inner))]);
                } else {
                    let (el, next) = self.item_list()?;
                    match next {
                        Item::End => {}
                        Item::Else => return self.errorf("expected end; found {{else}}"),
                        Item::Node(_) => {}
                    }
                    else_list = Some(el);
                }
            }
            Item::Node(_) => {}
        }
        Ok(Branch { pipe, list, else_list })
    }

    fn parse_template_name(&mut self, t: &Token, context: &str) -> PResult<Arc<str>> {
        match t.typ {
            Tok::String | Tok::RawString => match hecd_gostd::strconv::unquote(t.val(self.src)) {
                Some(s) => Ok(String::from_utf8_lossy(&s).into()),
                None => self.errorf("invalid syntax"),
            },
            _ => self.unexpected(t, context),
        }
    }

    fn block_control(&mut self) -> PResult<Node> {
        let context = "block clause";
        let t = self.next_non_space();
        let name = self.parse_template_name(&t, context)?;
        let pipe = self.pipeline(context, Tok::RightDelim)?;
        let saved = std::mem::replace(&mut self.st, TState::new());
        let r = self.item_list();
        let block_st = std::mem::replace(&mut self.st, saved);
        let (root, end) = r?;
        if let Item::Else = end {
            return self.errorf(format!("unexpected {{{{else}}}} in {context}"));
        }
        let tree = self.new_tree(name.clone(), root);
        // Errors of the block's own `add` use the block's look-ahead.
        let outer = std::mem::replace(&mut self.st, block_st);
        let r = self.add(tree);
        self.st = outer;
        r?;
        Ok(Node::Template(Box::new(TemplateCall { pos: t.pos, name, pipe: Some(pipe) })))
    }

    fn template_control(&mut self) -> PResult<Node> {
        let context = "template clause";
        let t = self.next_non_space();
        let name = self.parse_template_name(&t, context)?;
        let mut pipe = None;
        if self.next_non_space().typ != Tok::RightDelim {
            self.backup();
            pipe = Some(self.pipeline(context, Tok::RightDelim)?);
        }
        Ok(Node::Template(Box::new(TemplateCall { pos: t.pos, name, pipe })))
    }

    fn intern(&mut self, b: &[u8]) -> Arc<str> {
        if let Some(a) = self.interned.get(b) {
            return a.clone();
        }
        let a: Arc<str> = String::from_utf8_lossy(b).into();
        self.interned.insert(b.to_vec(), a.clone());
        a
    }

    fn var_name(&mut self, t: &Token) -> Arc<str> {
        let src = self.src;
        self.intern(t.val(src))
    }

    fn pipeline(&mut self, context: &str, end: Tok) -> PResult<Pipe> {
        if self.depth >= MAX_PARSE_DEPTH {
            return self.errorf("max expression depth exceeded");
        }
        self.depth += 1;
        let r = self.pipeline_inner(context, end);
        self.depth -= 1;
        r
    }

    fn pipeline_inner(&mut self, context: &str, end: Tok) -> PResult<Pipe> {
        let first = self.peek_non_space();
        let mut pipe =
            Pipe { pos: first.pos, is_assign: false, decl: Vec::new(), cmds: Vec::new() };
        loop {
            let v = self.peek_non_space();
            if v.typ != Tok::Variable {
                break;
            }
            self.next();
            let after = self.peek();
            let next = self.peek_non_space();
            if next.typ == Tok::Assign || next.typ == Tok::Declare {
                pipe.is_assign = next.typ == Tok::Assign;
                self.next_non_space();
                let name = self.var_name(&v);
                pipe.decl.push(Var { pos: v.pos, name: name.clone() });
                self.st.vars.push(name);
                break;
            } else if next.typ == Tok::Char && next.val(self.src) == b"," {
                self.next_non_space();
                let name = self.var_name(&v);
                pipe.decl.push(Var { pos: v.pos, name: name.clone() });
                self.st.vars.push(name);
                if context == "range" && pipe.decl.len() < 2 {
                    match self.peek_non_space().typ {
                        Tok::Variable | Tok::RightDelim | Tok::RightParen => continue,
                        _ => return self.errorf("range can only initialize variables"),
                    }
                }
                return self.errorf(format!("too many declarations in {context}"));
            } else if after.typ == Tok::Space {
                self.backup3(v, after);
                break;
            } else {
                self.backup2(v);
                break;
            }
        }
        loop {
            let t = self.next_non_space();
            if t.typ == end {
                self.check_pipeline(&pipe, context)?;
                return Ok(pipe);
            }
            match t.typ {
                Tok::Bool
                | Tok::CharConstant
                | Tok::Complex
                | Tok::Dot
                | Tok::Field
                | Tok::Identifier
                | Tok::Number
                | Tok::Nil
                | Tok::RawString
                | Tok::String
                | Tok::Variable
                | Tok::LeftParen => {
                    self.backup();
                    let c = self.command()?;
                    pipe.cmds.push(c);
                }
                _ => return self.unexpected(&t, context),
            }
        }
    }

    fn check_pipeline(&self, pipe: &Pipe, context: &str) -> PResult<()> {
        if pipe.cmds.is_empty() {
            return self.errorf(format!("missing value for {context}"));
        }
        for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(
                c.args.first(),
                Some(
                    Arg::Bool(..) | Arg::Dot(_) | Arg::Nil(_) | Arg::Number(_) | Arg::String { .. }
                )
            ) {
                return self.errorf(format!("non executable command in pipeline stage {}", i + 1));
            }
        }
        Ok(())
    }

    fn command(&mut self) -> PResult<Command> {
        let pos = self.peek_non_space().pos;
        let mut cmd = Command { pos, args: Vec::new() };
        loop {
            self.peek_non_space();
            if let Some(op) = self.operand()? {
                cmd.args.push(op);
            }
            let t = self.next();
            match t.typ {
                Tok::Space => continue,
                Tok::RightDelim | Tok::RightParen => self.backup(),
                Tok::Pipe => {}
                _ => return self.unexpected(&t, "operand"),
            }
            break;
        }
        if cmd.args.is_empty() {
            return self.errorf("empty command");
        }
        Ok(cmd)
    }

    fn field_names(&self, t: &Token) -> Vec<Arc<str>> {
        let v = &t.val(self.src)[1..];
        v.split(|&b| b == b'.').map(|s| Arc::from(String::from_utf8_lossy(s).as_ref())).collect()
    }

    fn operand(&mut self) -> PResult<Option<Arg>> {
        let Some(node) = self.term()? else { return Ok(None) };
        if self.peek().typ != Tok::Field {
            return Ok(Some(node));
        }
        let chain_pos = self.peek().pos;
        let mut fields: Vec<Arc<str>> = Vec::new();
        while self.peek().typ == Tok::Field {
            let t = self.next();
            fields.extend(self.field_names(&t));
        }
        Ok(Some(match node {
            Arg::Field { idents, .. } => {
                let mut all = idents.into_vec();
                all.extend(fields);
                Arg::Field { pos: chain_pos, idents: all.into() }
            }
            Arg::Variable { name, fields: f0, .. } => {
                let mut all = f0.into_vec();
                all.extend(fields);
                Arg::Variable { pos: chain_pos, name, fields: all.into() }
            }
            Arg::Bool(..) | Arg::String { .. } | Arg::Number(_) | Arg::Nil(_) | Arg::Dot(_) => {
                let s = node.to_string();
                return self.errorf(format!(
                    "unexpected . after term {}",
                    hecd_gostd::strconv::quote(s.as_bytes())
                ));
            }
            other => Arg::Chain { pos: chain_pos, node: Box::new(other), fields: fields.into() },
        }))
    }

    fn term(&mut self) -> PResult<Option<Arg>> {
        let t = self.next_non_space();
        let arg = match t.typ {
            Tok::Identifier => {
                let name = String::from_utf8_lossy(t.val(self.src)).into_owned();
                if !self.has_function(&name) {
                    return self.errorf(format!(
                        "function {} not defined",
                        hecd_gostd::strconv::quote(name.as_bytes())
                    ));
                }
                let func = match self.funcs.get(&name) {
                    Some(f) => FuncRef::User(f.clone()),
                    None => match Builtin::lookup(&name) {
                        Some(b) => FuncRef::Builtin(b, Box::new(b.signature())),
                        None => return self.errorf("internal error: no function"),
                    },
                };
                Arg::Ident { pos: t.pos, name: name.into(), func }
            }
            Tok::Dot => Arg::Dot(t.pos),
            Tok::Nil => Arg::Nil(t.pos),
            Tok::Variable => {
                let src = self.src;
                let v = t.val(src);
                let mut parts = v.split(|&b| b == b'.');
                let first = self.intern(parts.next().unwrap_or_default());
                if !self.st.vars.contains(&first) {
                    return self.errorf(format!(
                        "undefined variable {}",
                        hecd_gostd::strconv::quote(first.as_bytes())
                    ));
                }
                let fields: Vec<Arc<str>> =
                    parts.map(|s| Arc::from(String::from_utf8_lossy(s).as_ref())).collect();
                Arg::Variable { pos: t.pos, name: first, fields: fields.into() }
            }
            Tok::Field => Arg::Field { pos: t.pos, idents: self.field_names(&t).into() },
            Tok::Bool => Arg::Bool(t.pos, t.val(self.src) == b"true"),
            Tok::CharConstant | Tok::Complex | Tok::Number => {
                match crate::numparse::new_number(
                    t.pos,
                    t.val(self.src),
                    t.typ == Tok::CharConstant,
                    t.typ == Tok::Complex,
                ) {
                    Ok(n) => Arg::Number(Box::new(n)),
                    Err(msg) => return self.errorf(msg),
                }
            }
            Tok::LeftParen => {
                let p = self.pipeline("parenthesized pipeline", Tok::RightParen)?;
                Arg::Pipe(Box::new(p))
            }
            Tok::String | Tok::RawString => {
                let Some(s) = hecd_gostd::strconv::unquote(t.val(self.src)) else {
                    return self.errorf("invalid syntax");
                };
                Arg::String {
                    pos: t.pos,
                    quoted: String::from_utf8_lossy(t.val(self.src)).into(),
                    value: Value::string(s),
                }
            }
            _ => {
                self.backup();
                return Ok(None);
            }
        };
        Ok(Some(arg))
    }
}

#[cfg(test)]
mod tests;
