//! HAProxy configuration files as sections of tokenised lines.
//!
//! The parser keeps what decides HAProxy's behaviour and drops what does not: comments,
//! blank lines and the amount of white space between words. Words are split as HAProxy
//! splits them (white space separates, `#` outside quotes starts a comment, `\` escapes the
//! next character, `'…'` and `"…"` quote), so two files that HAProxy reads alike parse to
//! equal [`Config`]s. `server` lines of `backend` and `listen` sections are also parsed into
//! a [`Server`].

use std::fmt;
use std::net::IpAddr;

/// The keywords that start a section at the beginning of a line.
const SECTION_KEYWORDS: &[&str] = &[
    "global",
    "defaults",
    "frontend",
    "backend",
    "listen",
    "userlist",
    "peers",
    "mailers",
    "resolvers",
    "program",
    "http-errors",
    "ring",
    "cache",
    "fcgi-app",
    "log-forward",
];

/// A parsed configuration file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Config {
    /// The sections in file order; lines before the first section keyword are in a section
    /// whose kind is empty.
    pub sections: Vec<Section>,
}

/// One section: its keyword line and the lines under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// `global`, `defaults`, `backend`, … (empty for lines before the first section).
    pub kind: String,
    /// The words after the keyword (`["be_app"]`, `["www", "from", "base"]`, or none).
    pub args: Vec<String>,
    /// The section's lines, comments and blank lines left out.
    pub lines: Vec<Line>,
}

/// One significant line of a section; two lines are equal when their words and
/// conditionality are, wherever they are in the file.
#[derive(Debug, Clone, Eq)]
pub struct Line {
    /// The line's words, unquoted and unescaped.
    pub words: Vec<String>,
    /// 1-based line number in the file (not compared).
    pub number: usize,
    /// Whether the line is inside a `.if` block (conditional configuration).
    pub conditional: bool,
}

/// A `server` line of a `backend` or `listen` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// The server's name.
    pub name: String,
    /// The address word as written (`127.0.0.1:8080`, `ipv4@10.0.0.1:80`, `db.local:5432`).
    pub address: String,
    /// The address part as an IP, when it is one.
    pub ip: Option<IpAddr>,
    /// The port, when the address carries a plain one (no `+N` offset, no range).
    pub port: Option<u16>,
    /// The words after the address (`check inter 500ms weight 10`).
    pub keywords: Vec<String>,
    /// Whether the line is inside a `.if` block.
    pub conditional: bool,
}

impl Section {
    /// The section's name (`be_app` for `backend be_app`), if it has one.
    pub fn name(&self) -> Option<&str> {
        self.args.first().map(String::as_str)
    }

    /// Whether this section holds servers (`backend` or `listen`).
    pub fn has_servers(&self) -> bool {
        self.kind == "backend" || self.kind == "listen"
    }

    /// The section's `server` lines, parsed.
    pub fn servers(&self) -> Vec<Server> {
        if !self.has_servers() {
            return Vec::new();
        }
        self.lines.iter().filter_map(Server::from_line).collect()
    }

    /// The lines that are not `server` lines (all lines outside backends and listens).
    pub fn other_lines(&self) -> impl Iterator<Item = &Line> {
        let servers = self.has_servers();
        self.lines
            .iter()
            .filter(move |l| !(servers && l.words.first().is_some_and(|w| w == "server")))
    }

    /// The first line whose first word is `keyword`.
    pub fn find(&self, keyword: &str) -> Option<&Line> {
        self.lines.iter().find(|l| l.words.first().is_some_and(|w| w == keyword))
    }

    /// The section's title as HAProxy shows it: `backend be_app`.
    pub fn title(&self) -> String {
        if self.args.is_empty() {
            self.kind.clone()
        } else {
            format!("{} {}", self.kind, self.args.join(" "))
        }
    }
}

impl PartialEq for Line {
    fn eq(&self, other: &Line) -> bool {
        self.words == other.words && self.conditional == other.conditional
    }
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.words.join(" "))
    }
}

impl Server {
    /// Parses a `server NAME ADDRESS [KEYWORDS…]` line; `None` for other lines.
    pub fn from_line(line: &Line) -> Option<Server> {
        let mut words = line.words.iter();
        if words.next()? != "server" {
            return None;
        }
        let name = words.next()?.clone();
        let address = words.next()?.clone();
        let (ip, port) = split_address(&address);
        Some(Server {
            name,
            address,
            ip,
            port,
            keywords: words.cloned().collect(),
            conditional: line.conditional,
        })
    }

    /// The value of `weight`, 1 when the line does not set it.
    pub fn weight(&self) -> Option<u32> {
        match self.keyword_value("weight") {
            None => Some(1),
            Some(v) => v.parse().ok(),
        }
    }

    /// The word after `keyword` (the last occurrence wins, as in HAProxy).
    pub fn keyword_value(&self, keyword: &str) -> Option<&str> {
        self.keywords
            .iter()
            .enumerate()
            .rev()
            .find(|(_, w)| *w == keyword)
            .and_then(|(i, _)| self.keywords.get(i + 1))
            .map(String::as_str)
    }

    /// The keywords without `weight N`.
    pub fn keywords_without_weight(&self) -> Vec<&str> {
        let mut out = Vec::new();
        let mut words = self.keywords.iter();
        while let Some(w) = words.next() {
            if w == "weight" {
                words.next();
            } else {
                out.push(w.as_str());
            }
        }
        out
    }

    /// Whether the line enables health checks (`check`).
    pub fn has_check(&self) -> bool {
        self.keywords.iter().any(|w| w == "check")
    }
}

/// Splits `[ipv4@|ipv6@]HOST[:PORT]` into an IP (when HOST is one) and a plain port.
pub fn split_address(address: &str) -> (Option<IpAddr>, Option<u16>) {
    let rest =
        address.strip_prefix("ipv4@").or_else(|| address.strip_prefix("ipv6@")).unwrap_or(address);
    if rest.contains('@') {
        return (None, None);
    }
    // `[::1]:80`, or HAProxy's own form where the last colon starts the port.
    let (host, port) = if let Some(inner) = rest.strip_prefix('[') {
        match inner.split_once(']') {
            Some((h, tail)) => (h, tail.strip_prefix(':')),
            None => return (None, None),
        }
    } else {
        match rest.parse::<IpAddr>() {
            Ok(ip) => return (Some(ip), None),
            Err(_) => match rest.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (rest, None),
            },
        }
    };
    let ip = host.parse::<IpAddr>().ok();
    let port = match port {
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
            p.parse::<u16>().ok().filter(|p| *p > 0)
        }
        _ => None,
    };
    (ip, port)
}

/// Parses a configuration file's text.
pub fn parse(text: &str) -> Config {
    let mut sections: Vec<Section> = Vec::new();
    let mut depth = 0usize;
    for (i, raw) in text.lines().enumerate() {
        let words = split_words(raw);
        let Some(first) = words.first() else { continue };
        match first.as_str() {
            ".if" => depth += 1,
            ".endif" => depth = depth.saturating_sub(1),
            _ => {}
        }
        if SECTION_KEYWORDS.contains(&first.as_str()) {
            sections.push(Section {
                kind: first.clone(),
                args: words[1..].to_vec(),
                lines: Vec::new(),
            });
            continue;
        }
        if sections.is_empty() {
            sections.push(Section { kind: String::new(), args: Vec::new(), lines: Vec::new() });
        }
        let conditional = depth > 0 || first.starts_with('.');
        if let Some(section) = sections.last_mut() {
            section.lines.push(Line { words, number: i + 1, conditional });
        }
    }
    Config { sections }
}

/// Splits one line into words as HAProxy does; an empty vector for a blank or comment line.
pub fn split_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match quote {
            Some('\'') => {
                if c == '\'' {
                    quote = None;
                } else {
                    word.push(c);
                }
            }
            Some(_) => match c {
                '"' => quote = None,
                '\\' => push_escape(&mut word, &mut chars),
                _ => word.push(c),
            },
            None => match c {
                ' ' | '\t' | '\r' => {
                    if in_word {
                        words.push(std::mem::take(&mut word));
                        in_word = false;
                    }
                }
                '#' => break,
                '\'' | '"' => {
                    quote = Some(c);
                    in_word = true;
                }
                '\\' => {
                    push_escape(&mut word, &mut chars);
                    in_word = true;
                }
                _ => {
                    word.push(c);
                    in_word = true;
                }
            },
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

fn push_escape(word: &mut String, chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.next() {
        Some('r') => word.push('\r'),
        Some('n') => word.push('\n'),
        Some('t') => word.push('\t'),
        Some('x') => {
            let hex: String =
                (0..2).filter_map(|_| chars.next_if(char::is_ascii_hexdigit)).collect();
            match u8::from_str_radix(&hex, 16) {
                Ok(b) => word.push(char::from(b)),
                Err(_) => {
                    word.push('\\');
                    word.push('x');
                    word.push_str(&hex);
                }
            }
        }
        Some(c) => word.push(c),
        None => word.push('\\'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_split_as_haproxy_splits_them() {
        assert_eq!(
            split_words("  server a 1.2.3.4:80   check # comment"),
            ["server", "a", "1.2.3.4:80", "check"]
        );
        assert_eq!(split_words("# only a comment"), Vec::<String>::new());
        assert_eq!(split_words("   "), Vec::<String>::new());
        assert_eq!(
            split_words(r#"http-request set-header X "a b#c""#),
            ["http-request", "set-header", "X", "a b#c"]
        );
        assert_eq!(split_words(r"acl a path_beg /a\ b\#c"), ["acl", "a", "path_beg", "/a b#c"]);
        assert_eq!(split_words("log-format 'x \\n y'"), ["log-format", "x \\n y"]);
        assert_eq!(split_words(r#"a "\x41\t""#), ["a", "A\t"]);
        assert_eq!(split_words("a ''"), ["a", ""]);
    }

    #[test]
    fn sections_and_servers() {
        let c = parse(
            "# head\nglobal\n  maxconn 10\n\ndefaults\n mode http\nbackend be\n balance roundrobin\n server s1 10.0.0.1:80 check weight 5\n server s2 [::1]:81\nlisten st\n bind :1\n",
        );
        let kinds: Vec<_> = c.sections.iter().map(Section::title).collect();
        assert_eq!(kinds, ["global", "defaults", "backend be", "listen st"]);
        let servers = c.sections[2].servers();
        assert_eq!(servers.len(), 2);
        assert_eq!(servers[0].name, "s1");
        assert_eq!(servers[0].ip, Some("10.0.0.1".parse().unwrap()));
        assert_eq!(servers[0].port, Some(80));
        assert_eq!(servers[0].weight(), Some(5));
        assert_eq!(servers[0].keywords_without_weight(), ["check"]);
        assert!(servers[0].has_check());
        assert_eq!(servers[1].ip, Some("::1".parse().unwrap()));
        assert_eq!(servers[1].weight(), Some(1));
        assert_eq!(c.sections[2].other_lines().count(), 1);
        assert_eq!(c.sections[2].lines[1].number, 9);
    }

    #[test]
    fn addresses() {
        let ip4: IpAddr = "10.1.2.3".parse().unwrap();
        assert_eq!(split_address("10.1.2.3:8080"), (Some(ip4), Some(8080)));
        assert_eq!(split_address("ipv4@10.1.2.3:8080"), (Some(ip4), Some(8080)));
        assert_eq!(split_address("10.1.2.3"), (Some(ip4), None));
        assert_eq!(split_address("10.1.2.3:+10"), (Some(ip4), None));
        assert_eq!(split_address("10.1.2.3:80-90"), (Some(ip4), None));
        assert_eq!(split_address("10.1.2.3:0"), (Some(ip4), None));
        assert_eq!(split_address("db.local:5432"), (None, Some(5432)));
        assert_eq!(split_address("unix@/run/x.sock"), (None, None));
        assert_eq!(split_address("/run/x.sock"), (None, None));
        assert_eq!(split_address("fe80::1"), (Some("fe80::1".parse().unwrap()), None));
        assert_eq!(
            split_address("ipv6@[fe80::1]:443"),
            (Some("fe80::1".parse().unwrap()), Some(443))
        );
    }

    #[test]
    fn conditional_blocks_are_marked() {
        let c =
            parse("backend b\n.if defined(X)\n server s 1.1.1.1:1\n.endif\n server t 1.1.1.1:2\n");
        let servers = c.sections[0].servers();
        assert!(servers[0].conditional);
        assert!(!servers[1].conditional);
    }
}
