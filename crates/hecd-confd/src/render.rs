//! `hecd-confd render`: one template, rendered as confd would.
