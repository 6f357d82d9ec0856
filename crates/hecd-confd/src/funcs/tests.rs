//! Table tests of confd's functions, called directly through the function map (no
//! template involved); expectations are Go's (confd master semantics).

use std::sync::Arc;

use hecd_template::{FuncMap, Value};

use super::func_map;
use crate::memkv::KvStore;

fn funcs() -> FuncMap {
    func_map(Arc::new(KvStore::from_pairs([
        ("/app/name", "shop"),
        ("/app/servers/web1", "10.0.0.1:80"),
        ("/app/servers/web2", "10.0.0.2:80"),
        ("/app/db/host", "db1.local"),
        ("/app/empty", ""),
    ])))
}

/// A compact rendering: strings bare, lists `[a b]`, records `{a b}`, maps `map[k:v]`,
/// each scalar tagged with its Go type when it is not a string.
fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_str_lossy().into_owned(),
        Value::Int(i, k) => format!("{i}:{}", k.basic_name()),
        Value::Uint(u, k) => format!("{u}:{}", k.basic_name()),
        Value::Float(f, k) => format!("{f}:{}", k.basic_name()),
        Value::Bool(b) => b.to_string(),
        Value::Nil => "nil".to_owned(),
        Value::List(l) => {
            let items: Vec<String> = l.items().iter().map(show).collect();
            format!("{}[{}]", l.go_type().name(), items.join(" "))
        }
        Value::Record(r) => {
            let fields: Vec<String> = r.fields().iter().map(show).collect();
            format!("{}{{{}}}", r.go_type().name(), fields.join(" "))
        }
        Value::Map(m) => {
            let entries: Vec<String> = m
                .entries()
                .iter()
                .map(|(k, v)| format!("{}:{}", k.to_str_lossy(), show(v)))
                .collect();
            format!("map[{}]", entries.join(" "))
        }
        other => format!("{other:?}"),
    }
}

fn s(v: &str) -> Value {
    Value::from(v)
}

fn i(v: i64) -> Value {
    Value::int(v)
}

/// Calls `name` with `args` and compares the rendering (or the error text).
#[track_caller]
fn check(name: &str, args: &[Value], want: Result<&str, &str>) {
    let map = funcs();
    let f = map.get(name).unwrap_or_else(|| panic!("{name} is not registered"));
    let got = f.call(args).map(|v| show(&v)).map_err(|e| e.message().to_owned());
    assert_eq!(got.as_deref().map_err(String::as_str), want, "{name} {args:?}");
}

#[test]
fn every_confd_function_is_registered_with_its_arity() {
    let map = funcs();
    let expected: &[(&str, usize, bool, bool)] = &[
        // name, fixed params, variadic, returns error
        ("base", 1, false, false),
        ("dir", 1, false, false),
        ("split", 2, false, false),
        ("join", 2, false, false),
        ("json", 1, false, true),
        ("jsonArray", 1, false, true),
        ("map", 0, true, true),
        ("datetime", 0, false, false),
        ("toUpper", 1, false, false),
        ("toLower", 1, false, false),
        ("contains", 2, false, false),
        ("replace", 4, false, false),
        ("trimSuffix", 2, false, false),
        ("lookupIP", 1, false, false),
        ("lookupIPV4", 1, false, false),
        ("lookupIPV6", 1, false, false),
        ("lookupSRV", 3, false, false),
        ("fileExists", 1, false, false),
        ("base64Encode", 1, false, false),
        ("base64Decode", 1, false, true),
        ("parseBool", 1, false, true),
        ("reverse", 1, false, false),
        ("sortByLength", 1, false, false),
        ("sortKVByLength", 1, false, false),
        ("add", 2, false, false),
        ("sub", 2, false, false),
        ("div", 2, false, false),
        ("mod", 2, false, false),
        ("mul", 2, false, false),
        ("seq", 2, false, false),
        ("atoi", 1, false, true),
        ("getenv", 1, true, false),
        ("get", 1, false, true),
        ("gets", 1, false, true),
        ("getv", 1, true, true),
        ("getvs", 1, false, true),
        ("exists", 1, false, false),
        ("ls", 1, false, false),
        ("lsdir", 1, false, false),
    ];
    for (name, params, variadic, error) in expected {
        let sig = map.get(name).unwrap_or_else(|| panic!("{name} missing")).signature();
        assert_eq!(sig.params().len(), *params, "{name} params");
        assert_eq!(sig.variadic_elem().is_some(), *variadic, "{name} variadic");
        assert_eq!(sig.has_error_result(), *error, "{name} error result");
    }
    for removed in ["cget", "cgets", "cgetv", "cgetvs", "sibling", "parent"] {
        assert!(map.get(removed).is_none(), "{removed} must not exist");
    }
}

#[test]
fn store_functions() {
    check("get", &[s("/app/name")], Ok("memkv.KVPair{/app/name shop}"));
    check("get", &[s("/nope")], Err("key does not exist: /nope"));
    check("getv", &[s("/nope"), s("d1"), s("d2")], Ok("d1"));
    check("getv", &[s("/app/empty"), s("dflt")], Ok(""));
    check("getv", &[s("/nope")], Err("key does not exist: /nope"));
    check(
        "gets",
        &[s("/app/servers/*")],
        Ok("memkv.KVPairs[memkv.KVPair{/app/servers/web1 10.0.0.1:80} memkv.KVPair{/app/servers/web2 10.0.0.2:80}]"),
    );
    check("gets", &[s("/x/*")], Ok("memkv.KVPairs[]"));
    check("gets", &[s("/app/[")], Err("syntax error in pattern"));
    check("getvs", &[s("/app/servers/*")], Ok("[]string[10.0.0.1:80 10.0.0.2:80]"));
    check("exists", &[s("/app/name/")], Ok("false"));
    check("ls", &[s("/app")], Ok("[]string[db empty name servers]"));
    check("lsdir", &[s("/app")], Ok("[]string[db servers]"));
}

#[test]
fn kv_pairs_have_len_and_less() {
    let map = funcs();
    let pairs = map.get("gets").unwrap().call(&[s("/app/*/*")]).unwrap();
    let ty = pairs.go_type().unwrap();
    assert_eq!(ty.name(), "memkv.KVPairs");
    assert!(ty.method("Len").is_some_and(|m| m.signature().params().is_empty()));
    assert!(ty.method("Less").is_some_and(|m| m.signature().params().len() == 2));
    assert!(
        ty.assignable_to(&super::ConfdTypes::new().kv_slice),
        "KVPairs must be assignable to []memkv.KVPair"
    );
}

#[test]
fn path_and_string_helpers() {
    check("base", &[s("/a/b/")], Ok("b"));
    check("dir", &[s("/a/b/c")], Ok("/a/b"));
    check("split", &[s(""), s(",")], Ok("[]string[]"));
    check("split", &[s("a:b"), s(":")], Ok("[]string[a b]"));
    check("join", &[Value::string_list(["a", "b"]), s("-")], Ok("a-b"));
    check("toUpper", &[s("straße")], Ok("STRAßE"));
    check("toLower", &[s("İSTANBUL")], Ok("istanbul"));
    check("contains", &[s("abc"), s("")], Ok("true"));
    check("replace", &[s("abc"), s(""), s("-"), i(-1)], Ok("-a-b-c-"));
    check("trimSuffix", &[s("app.conf.conf"), s(".conf")], Ok("app.conf"));
    check("base64Encode", &[s("Value")], Ok("VmFsdWU="));
    check("base64Decode", &[s("VmFsdWU")], Err("illegal base64 data at input byte 4"));
    check("parseBool", &[s("yes")], Err("strconv.ParseBool: parsing \"yes\": invalid syntax"));
    check("atoi", &[s("-12")], Ok("-12:int"));
    check("atoi", &[s("0x10")], Err("strconv.Atoi: parsing \"0x10\": invalid syntax"));
}

#[test]
fn json_and_map() {
    check(
        "json",
        &[s(r#"{"n":1000000,"a":[1,"x",null],"o":{"b":true}}"#)],
        Ok("map[a:[]interface {}[1:float64 x nil] n:1000000:float64 o:map[b:true]]"),
    );
    check("json", &[s("null")], Ok("map[]"));
    check(
        "json",
        &[s("[1]")],
        Err("json: cannot unmarshal array into Go value of type map[string]interface {}"),
    );
    check("json", &[s("{")], Err("unexpected end of JSON input"));
    check("json", &[s("{}x")], Err("invalid character 'x' after top-level value"));
    check(
        "jsonArray",
        &[s("[[1,2],[3]]")],
        Ok("[]interface {}[[]interface {}[1:float64 2:float64] []interface {}[3:float64]]"),
    );
    check("jsonArray", &[s("null")], Ok("[]interface {}[]"));
    check(
        "jsonArray",
        &[s("{}")],
        Err("json: cannot unmarshal object into Go value of type []interface {}"),
    );
    check("map", &[s("a"), i(1), s("b"), s("x"), s("a"), i(2)], Ok("map[a:2:int b:x]"));
    check("map", &[], Ok("map[]"));
    check("map", &[s("a")], Err("invalid map call"));
    check("map", &[i(1), i(2)], Err("map keys must be strings"));
}

#[test]
fn math_and_seq() {
    check("add", &[i(i64::MAX), i(1)], Ok("-9223372036854775808:int"));
    check("sub", &[i(1), i(2)], Ok("-1:int"));
    check("mul", &[i(3), i(4)], Ok("12:int"));
    check("div", &[i(-7), i(2)], Ok("-3:int"));
    check("mod", &[i(-7), i(3)], Ok("-1:int"));
    check("mod", &[i(7), i(-2)], Ok("1:int"));
    check("div", &[i(1), i(0)], Err("runtime error: integer divide by zero"));
    check("mod", &[i(1), i(0)], Err("runtime error: integer divide by zero"));
    check("div", &[i(i64::MIN), i(-1)], Ok("-9223372036854775808:int"));
    check("seq", &[i(1), i(3)], Ok("[]int[1:int 2:int 3:int]"));
    check("seq", &[i(3), i(1)], Ok("[]int[]"));
}

#[test]
fn list_helpers() {
    let map = funcs();
    let gets = map.get("gets").unwrap().call(&[s("/app/servers/*")]).unwrap();
    // gets returns the named memkv.KVPairs, which reverse leaves alone.
    check("reverse", std::slice::from_ref(&gets), Ok(&show(&gets)));
    check("reverse", &[Value::string_list(["a", "b", "c"])], Ok("[]string[c b a]"));
    check("reverse", &[s("abc")], Ok("abc"));
    check(
        "sortByLength",
        &[Value::string_list(["ccc", "a", "bb", "dd", "e"])],
        Ok("[]string[a e bb dd ccc]"),
    );
    let sorted = map
        .get("sortKVByLength")
        .unwrap()
        .call(&[map.get("gets").unwrap().call(&[s("/app/*")]).unwrap()])
        .unwrap();
    assert_eq!(
        show(&sorted),
        "[]memkv.KVPair[memkv.KVPair{/app/name shop} memkv.KVPair{/app/empty }]"
    );
    check(
        "reverse",
        &[sorted],
        Ok("[]memkv.KVPair[memkv.KVPair{/app/empty } memkv.KVPair{/app/name shop}]"),
    );
}

#[test]
fn environment_files_and_lookups() {
    // PATH is set in every test environment; the HECD_T_ namespace is never set here.
    check("getenv", &[s("HECD_T_UNIT_UNSET")], Ok(""));
    check("getenv", &[s("HECD_T_UNIT_UNSET"), s("dflt")], Ok("dflt"));
    check("getenv", &[s("A=B"), s("dflt")], Ok("dflt"));
    check("fileExists", &[s("/")], Ok("true"));
    check("fileExists", &[s("/no/such/hecd/path")], Ok("false"));
    check("fileExists", &[s("")], Ok("false"));
    check("lookupIP", &[s("127.0.0.1")], Ok("[]string[127.0.0.1]"));
    check("lookupIPV4", &[s("10.1.2.3")], Ok("[]string[10.1.2.3]"));
    check("lookupIPV6", &[s("10.1.2.3")], Ok("[]string[]"));
    check("lookupIPV6", &[s("::1")], Ok("[]string[::1]"));
    check("lookupIP", &[s("::ffff:1.2.3.4")], Ok("[]string[1.2.3.4]"));
    check("lookupIP", &[s("")], Ok("[]string[]"));
}
