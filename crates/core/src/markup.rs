//! Escaping text for XML and HTML (the SAP writer, the HTML reports).

/// Escapes `& < > " '` (as `&amp; &lt; &gt; &quot; &apos;`): text safe in an element or a
/// quoted attribute of XML and HTML alike.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_special_character_is_escaped() {
        assert_eq!(
            super::escape(r#"a<b>&"c'd"#),
            "a&lt;b&gt;&amp;&quot;c&apos;d"
        );
        assert_eq!(super::escape("perché"), "perché");
    }
}
