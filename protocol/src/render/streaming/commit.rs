//! Where a streamed answer's committed part ends: the top-level blocks that can no longer
//! change, whatever text follows.

use std::ops::Range;

use pulldown_cmark::{Event, Tag};

use super::Spanned;

/// Where the committed part of a parsed source ends: a byte offset (the start of a line) and
/// the number of events before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Commit {
    /// Bytes of the source committed.
    pub(super) source: usize,
    /// Events committed.
    pub(super) events: usize,
}

/// A top-level block of a parse.
#[derive(Debug)]
struct Block {
    /// Index of its first event.
    first: usize,
    /// Index just after its last event.
    after: usize,
    /// Its source range.
    range: Range<usize>,
    /// Whether a blank line always ends it (paragraph, heading, table, block quote, rule).
    ended_by_blank_line: bool,
    /// Whether it is a table (which needs its second line to be sure it is one).
    is_table: bool,
}

/// The committed part of `source`: every top-level block before the last one that started on
/// a complete line, or up to a blank line that ends a block for good.
pub(super) fn find_commit(source: &str, events: &[Spanned<'_>]) -> Commit {
    let blocks = top_level_blocks(events);
    for (index, block) in blocks.iter().enumerate().rev() {
        if block.ended_by_blank_line
            && let Some(end) = end_of_blank_line_after(source, block.range.end)
        {
            return Commit { source: end, events: block.after };
        }
        if index > 0 && first_lines_complete(source, block) {
            let start = line_start(source, block.range.start);
            if start >= blocks[index - 1].range.end {
                return Commit { source: start, events: block.first };
            }
        }
    }
    Commit { source: 0, events: 0 }
}

/// The top-level blocks of a parse, in order.
fn top_level_blocks(events: &[Spanned<'_>]) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut depth = 0usize;
    let mut first = 0;
    for (index, (event, range)) in events.iter().enumerate() {
        let ends_block = match event {
            Event::Start(_) => {
                if depth == 0 {
                    first = index;
                }
                depth += 1;
                false
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                depth == 0
            }
            _ => {
                if depth == 0 {
                    first = index;
                }
                depth == 0
            }
        };
        if ends_block {
            let kind = &events[first].0;
            blocks.push(Block {
                first,
                after: index + 1,
                range: range.clone(),
                ended_by_blank_line: matches!(
                    kind,
                    Event::Rule
                        | Event::Start(
                            Tag::Paragraph | Tag::Heading { .. } | Tag::Table(_) | Tag::BlockQuote(_)
                        )
                ),
                is_table: matches!(kind, Event::Start(Tag::Table(_))),
            });
        }
    }
    blocks
}

/// Whether the line `block` starts on is complete (and, for a table, its delimiter row too),
/// so later text cannot make it part of the block before.
fn first_lines_complete(source: &str, block: &Block) -> bool {
    let rest = &source[block.range.start..];
    match rest.find('\n') {
        Some(first_line_end) => !block.is_table || rest[first_line_end + 1..].contains('\n'),
        None => false,
    }
}

/// The offset just after a complete blank line that directly follows a block ending at `end`.
fn end_of_blank_line_after(source: &str, end: usize) -> Option<usize> {
    let next_line = if end == 0 || source.as_bytes().get(end - 1) == Some(&b'\n') {
        end
    } else {
        end + source[end..].find('\n')? + 1
    };
    let line_length = source[next_line..].find('\n')?;
    let line = &source.as_bytes()[next_line..next_line + line_length];
    line.iter().all(|byte| matches!(byte, b' ' | b'\t' | b'\r')).then_some(next_line + line_length + 1)
}

/// The offset where the line holding `offset` starts.
fn line_start(source: &str, offset: usize) -> usize {
    source[..offset].rfind('\n').map_or(0, |newline| newline + 1)
}
