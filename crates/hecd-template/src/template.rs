//! The public entry point: [`Template`] (parse once, execute many times).

use std::collections::HashMap;
use std::io;
use std::sync::Arc;

use crate::error::{Error, ExecError, Result};
use crate::func::FuncMap;
use crate::value::Value;

/// What happens when a map is indexed with a key that is not present
/// (Go's `missingkey=` option).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum MissingKey {
    /// `missingkey=default` / `invalid`: the result is invalid and prints
    /// `<no value>`.
    #[default]
    Default,
    /// `missingkey=zero`: the zero value of the map's element type.
    Zero,
    /// `missingkey=error`: execution stops with an error.
    Error,
}

/// A parsed template set: the main template plus every `define`/`block`.
///
/// Cheap to clone, `Send + Sync`; execute it concurrently from many threads.
#[derive(Debug, Clone)]
pub struct Template {
    pub(crate) name: Arc<str>,
    pub(crate) funcs: Arc<FuncMap>,
    pub(crate) missing_key: MissingKey,
    pub(crate) set: Arc<HashMap<String, Arc<crate::ast::Tree>>>,
    pub(crate) delims: (Arc<str>, Arc<str>),
}

impl Template {
    /// A new, empty template called `name` (in confd: the base name of the
    /// source file; it appears in error messages).
    pub fn new(name: impl Into<String>) -> Template {
        let name: String = name.into();
        Template {
            name: name.into(),
            funcs: Arc::new(FuncMap::new()),
            missing_key: MissingKey::Default,
            set: Arc::new(HashMap::new()),
            delims: (Arc::from(""), Arc::from("")),
        }
    }

    /// Sets the action delimiters for subsequent [`Template::parse`] calls
    /// (Go's `Delims`); an empty string means the default `{{` or `}}`.
    pub fn delims(mut self, left: &str, right: &str) -> Template {
        self.delims = (Arc::from(left), Arc::from(right));
        self
    }

    /// Adds functions; they must be registered before [`Template::parse`]
    /// because unknown function names are parse errors.
    pub fn funcs(mut self, funcs: &FuncMap) -> Template {
        Arc::make_mut(&mut self.funcs).extend(funcs);
        self
    }

    /// Sets the `missingkey` option.
    pub fn missing_key(mut self, mk: MissingKey) -> Template {
        self.missing_key = mk;
        self
    }

    /// The template's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Parses `src` as the body of this template (plus its `define`s), like
    /// Go's `Template.Parse`. May be called repeatedly to add definitions.
    ///
    /// # Errors
    ///
    /// [`Error::Parse`] with Go's message, e.g.
    /// `template: NAME:1: function "nosuch" not defined`.
    pub fn parse(self, src: &str) -> Result<Template> {
        self.parse_bytes(src.as_bytes())
    }

    /// Like [`Template::parse`] for source that need not be UTF-8 (text
    /// outside actions is copied byte for byte).
    ///
    /// # Errors
    ///
    /// As [`Template::parse`].
    pub fn parse_bytes(mut self, src: &[u8]) -> Result<Template> {
        let trees = crate::parse::parse_with_delims(
            &self.name,
            src,
            &self.funcs,
            &self.delims.0,
            &self.delims.1,
        )?;
        crate::parse::add_trees(&self.name, Arc::make_mut(&mut self.set), trees)?;
        Ok(self)
    }

    /// True when a template called `name` is defined (non-empty or not).
    pub fn has_template(&self, name: &str) -> bool {
        self.set.contains_key(name)
    }

    /// Names of all defined templates, sorted.
    pub fn template_names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.set.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }

    /// Executes the main template with `data` as dot, writing to `w`.
    /// Output written before an error stays written, as in Go.
    ///
    /// # Errors
    ///
    /// [`Error::Exec`] with Go's message, or [`Error::Write`].
    pub fn execute<W: io::Write + ?Sized>(&self, w: &mut W, data: &Value) -> Result<()> {
        self.execute_template(w, &self.name, data)
    }

    /// Executes the template called `name` with `data` as dot.
    ///
    /// # Errors
    ///
    /// As [`Template::execute`]; an unknown name gives
    /// `template: no template "NAME" associated with template "MAIN"`.
    pub fn execute_template<W: io::Write + ?Sized>(
        &self,
        w: &mut W,
        name: &str,
        data: &Value,
    ) -> Result<()> {
        crate::exec::execute(self, self.tree(name)?, w, data)
    }

    /// The tree called `name`, or Go's error for executing an undefined one.
    fn tree(&self, name: &str) -> Result<&crate::ast::Tree> {
        let Some(tree) = self.set.get(name) else {
            if name == &*self.name {
                return Err(Error::Exec(Box::new(ExecError {
                    template: name.to_string(),
                    location: None,
                    message: format!(
                        "{} is an incomplete or empty template",
                        hecd_gostd::strconv::quote(name.as_bytes())
                    ),
                })));
            }
            return Err(Error::Exec(Box::new(ExecError {
                template: String::new(),
                location: None,
                message: format!(
                    "no template {} associated with template {}",
                    hecd_gostd::strconv::quote(name.as_bytes()),
                    hecd_gostd::strconv::quote(self.name.as_bytes())
                ),
            })));
        };
        Ok(tree)
    }

    /// Executes the main template into a byte vector.
    ///
    /// # Errors
    ///
    /// As [`Template::execute`].
    pub fn render(&self, data: &Value) -> Result<Vec<u8>> {
        let tree = self.tree(&self.name)?;
        let (out, r) = crate::exec::execute_to_vec(self, tree, Vec::with_capacity(8192), data);
        r.map(|()| out)
    }
}
