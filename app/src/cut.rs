//! Text rendered once with stand-ins where each request's own values go (a
//! CSRF token, a script nonce), cut there once, so that serving it again is
//! a copy with the request's values put in rather than a render or a search.
//!
//! A stand-in must be unguessable, so that no other text on the page (a name
//! someone typed) can contain it, and shaped so that escaping leaves it as
//! it is (letters and digits).

/// `text` cut at each stand-in, with which value goes where (`H` names it).
#[derive(Debug, Clone)]
pub struct CutText<H> {
    text: String,
    /// Where each value goes in `text`, in order.
    holes: Vec<(usize, H)>,
}

impl<H: Copy + PartialEq> CutText<H> {
    /// Cuts `rendered` at every occurrence of each of `stand_ins` (empty
    /// stand-ins are ignored).
    pub fn new(rendered: &str, stand_ins: &[(H, &str)]) -> Self {
        let mut text = String::with_capacity(rendered.len());
        let mut holes = Vec::new();
        let mut rest = rendered;
        loop {
            let next = stand_ins
                .iter()
                .filter(|(_, stand_in)| !stand_in.is_empty())
                .filter_map(|(hole, stand_in)| rest.find(stand_in).map(|at| (at, *hole, stand_in.len())))
                .min_by_key(|(at, _, _)| *at);
            let Some((at, hole, length)) = next else {
                break;
            };
            text.push_str(&rest[..at]);
            holes.push((text.len(), hole));
            rest = &rest[at + length..];
        }
        text.push_str(rest);
        Self { text, holes }
    }

    /// Whether a `hole` value goes anywhere in the text.
    pub fn has(&self, hole: H) -> bool {
        self.holes.iter().any(|(_, h)| *h == hole)
    }

    /// The text with each hole's value (`value` is asked once per hole kind
    /// present, not per occurrence).
    pub fn fill<'a>(&self, mut value: impl FnMut(H) -> &'a str) -> String {
        let mut values: Vec<(H, &str)> = Vec::new();
        for (_, hole) in &self.holes {
            if !values.iter().any(|(h, _)| h == hole) {
                values.push((*hole, value(*hole)));
            }
        }
        let extra: usize = self
            .holes
            .iter()
            .filter_map(|(_, hole)| values.iter().find(|(h, _)| h == hole))
            .map(|(_, v)| v.len())
            .sum();
        let mut filled = String::with_capacity(self.text.len() + extra);
        let mut from = 0;
        for (at, hole) in &self.holes {
            filled.push_str(&self.text[from..*at]);
            if let Some((_, v)) = values.iter().find(|(h, _)| h == hole) {
                filled.push_str(v);
            }
            from = *at;
        }
        filled.push_str(&self.text[from..]);
        filled
    }
}

#[cfg(test)]
mod tests {
    use super::CutText;

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Hole {
        Token,
        Nonce,
    }

    #[test]
    fn each_value_goes_where_its_stand_in_was() {
        let cut = CutText::new(
            "<script nonce=\"N0\">x</script><form><input value=\"T0\"></form><form><input value=\"T0\"></form>",
            &[(Hole::Token, "T0"), (Hole::Nonce, "N0")],
        );
        let mut asked = Vec::new();
        let filled = cut.fill(|hole| {
            asked.push(hole);
            match hole {
                Hole::Token => "alice",
                Hole::Nonce => "n1",
            }
        });
        assert_eq!(
            filled,
            "<script nonce=\"n1\">x</script><form><input value=\"alice\"></form><form><input value=\"alice\"></form>"
        );
        assert_eq!(asked, [Hole::Nonce, Hole::Token], "each value asked once");
        assert!(cut.has(Hole::Token) && cut.has(Hole::Nonce));
    }

    #[test]
    fn text_without_stand_ins_is_left_whole_and_asks_nothing() {
        let cut = CutText::new("<p>no form</p>", &[(Hole::Token, "T0"), (Hole::Nonce, "")]);
        assert!(!cut.has(Hole::Token));
        assert_eq!(cut.fill(|_| "never asked"), "<p>no form</p>");
        let ends = CutText::new("T0 middle T0", &[(Hole::Token, "T0")]);
        assert_eq!(ends.fill(|_| "t"), "t middle t", "a stand-in at either end");
    }
}
