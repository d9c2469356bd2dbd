//! Pure text formatting for the components (badges, relative times, day labels, links), tested
//! natively.

use herald_protocol::Timestamp;

/// A badge's text: nothing at 0, "99+" above 99.
pub fn badge_text(count: u32) -> Option<String> {
    match count {
        0 => None,
        1..=99 => Some(count.to_string()),
        _ => Some("99+".to_owned()),
    }
}

/// "just now", "2 min ago", "3 h ago", "yesterday", "4 days ago", then the date.
pub fn relative_time(t: Timestamp, now: Timestamp) -> String {
    let secs = (now - t).whole_seconds();
    match secs {
        i64::MIN..=44 => "just now".to_owned(),
        45..=3_599 => format!("{} min ago", (secs + 30) / 60),
        3_600..=86_399 => format!("{} h ago", secs / 3_600),
        86_400..=172_799 => "yesterday".to_owned(),
        172_800..=604_799 => format!("{} days ago", secs / 86_400),
        _ => short_date(t),
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// "25 Oct 2025".
pub fn short_date(t: Timestamp) -> String {
    let month = MONTHS[usize::from(u8::from(t.month())) - 1];
    format!("{} {} {}", t.day(), month, t.year())
}

/// "14:05" in the given local offset.
pub fn clock(t: Timestamp, offset_secs: i32) -> String {
    let l = local(t, offset_secs);
    format!("{:02}:{:02}", l.hour(), l.minute())
}

/// The timestamp shifted to local time (the offset comes from the bridge).
pub fn local(t: Timestamp, offset_secs: i32) -> Timestamp {
    match time::UtcOffset::from_whole_seconds(offset_secs) {
        Ok(o) => t.to_offset(o),
        Err(_) => t,
    }
}

/// A day separator's label: "Today", "Yesterday" or the date.
pub fn day_label(t: Timestamp, now: Timestamp, offset_secs: i32) -> String {
    let day = local(t, offset_secs).date();
    let today = local(now, offset_secs).date();
    if day == today {
        "Today".to_owned()
    } else if today.previous_day() == Some(day) {
        "Yesterday".to_owned()
    } else {
        short_date(local(t, offset_secs))
    }
}

/// The chat list's time: the clock today, else the date.
pub fn list_time(t: Timestamp, now: Timestamp, offset_secs: i32) -> String {
    if local(t, offset_secs).date() == local(now, offset_secs).date() {
        clock(t, offset_secs)
    } else {
        let l = local(t, offset_secs);
        format!(
            "{} {}",
            l.day(),
            MONTHS[usize::from(u8::from(l.month())) - 1]
        )
    }
}

/// A piece of message text: plain, or a link the user can open in the system browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Text(String),
    Link(String),
}

/// Splits text into plain runs and http(s) links (trailing punctuation stays text).
pub fn segments(text: &str) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    let mut plain = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        let start = ["https://", "http://"]
            .iter()
            .filter_map(|p| rest.find(p))
            .min();
        let Some(start) = start else {
            plain.push_str(rest);
            break;
        };
        plain.push_str(&rest[..start]);
        let tail = &rest[start..];
        let end = tail
            .find(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == '"')
            .unwrap_or(tail.len());
        let mut url = &tail[..end];
        while url.ends_with(['.', ',', ')', '!', '?', ';', ':', '\'']) {
            url = &url[..url.len() - 1];
        }
        if url.len() <= "https://".len() {
            plain.push_str(&tail[..end]);
            rest = &tail[end..];
            continue;
        }
        if !plain.is_empty() {
            out.push(Segment::Text(std::mem::take(&mut plain)));
        }
        out.push(Segment::Link(url.to_owned()));
        rest = &tail[url.len()..];
    }
    if !plain.is_empty() {
        out.push(Segment::Text(plain));
    }
    out
}

/// Initials for an avatar: "Bob Stone" -> "BS".
pub fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::fixtures::at;

    #[test]
    fn badges_cap_at_99_plus() {
        for (n, want) in [
            (0, None),
            (1, Some("1")),
            (99, Some("99")),
            (100, Some("99+")),
            (5000, Some("99+")),
        ] {
            assert_eq!(badge_text(n).as_deref(), want, "{n}");
        }
    }

    #[test]
    fn relative_times() {
        let now = at(0);
        for (ago, want) in [
            (5, "just now"),
            (120, "2 min ago"),
            (3_000, "50 min ago"),
            (7_300, "2 h ago"),
            (90_000, "yesterday"),
            (300_000, "3 days ago"),
            (1_000_000, "14 Oct 2025"),
        ] {
            assert_eq!(relative_time(at(ago), now), want, "{ago}");
        }
    }

    #[test]
    fn day_labels_and_clock() {
        let now = at(0); // 14:00 UTC
        assert_eq!(day_label(at(60), now, 0), "Today");
        assert_eq!(day_label(at(86_400), now, 0), "Yesterday");
        assert_eq!(day_label(at(3 * 86_400), now, 0), "22 Oct 2025");
        assert_eq!(clock(at(0), 2 * 3600), "16:00");
        assert_eq!(list_time(at(60), now, 0), "13:59");
        assert_eq!(list_time(at(86_400), now, 0), "24 Oct");
    }

    #[test]
    fn links_are_split_out_and_html_stays_text() {
        use Segment::*;
        let cases: Vec<(&str, Vec<Segment>)> = vec![
            ("no links", vec![Text("no links".into())]),
            (
                "see https://example.com/a?b=1, ok",
                vec![
                    Text("see ".into()),
                    Link("https://example.com/a?b=1".into()),
                    Text(", ok".into()),
                ],
            ),
            ("http://x.io", vec![Link("http://x.io".into())]),
            (
                "<a href=\"https://e.vil\">x</a>",
                vec![
                    Text("<a href=\"".into()),
                    Link("https://e.vil".into()),
                    Text("\">x</a>".into()),
                ],
            ),
            ("https:// alone", vec![Text("https:// alone".into())]),
        ];
        for (text, want) in cases {
            assert_eq!(segments(text), want, "{text}");
        }
        assert_eq!(initials("Bob Stone"), "BS");
        assert_eq!(initials("alice"), "A");
    }
}
