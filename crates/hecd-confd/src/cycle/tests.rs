//! Unit tests of the cycle's helpers.

use std::path::Path;

use super::*;

#[test]
fn modes_print_like_go() {
    assert_eq!(go_mode_string(0o100644), "-rw-r--r--");
    assert_eq!(go_mode_string(0o640), "-rw-r-----");
    assert_eq!(go_mode_string(0o6755), "ugrwxr-xr-x");
}

#[test]
fn check_cmd_is_a_template_with_only_src() {
    let stage = Path::new("/out/.a.conf123");
    assert_eq!(
        check_command("check {{.src}} '{{.dest}}'", stage).unwrap(),
        "check /out/.a.conf123 '<no value>'"
    );
    let e = check_command("check {{.src", stage).unwrap_err().to_string();
    assert_eq!(e, "template: checkcmd:1: unclosed action");
}
