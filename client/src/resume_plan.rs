//! When the widget asks the server to resume a pending turn's stream
//! (`{"action":"resume","turn":…,"after":…}`): whenever the socket (re)opens, and when a pending
//! turn has gone quiet — a `done` or a frame lost with a closing connection, a reload — again
//! every [`QUIET_MS`], at most [`MAX_QUIET_RESUMES`] times without progress. Pure: the clock and
//! the transcript are passed in, so it is tested without a browser.
//!
//! ```
//! use lexstream_client::resume_plan::{QUIET_MS, ResumeAction, ResumePlan};
//! use lexstream_client::transcript::PendingTurn;
//!
//! let mut plan = ResumePlan::default();
//! let pending = [PendingTurn { turn: "turn-1-9".into(), after: Some(3), received: 40 }];
//! assert!(plan.tick(&pending, &[], 0.0).is_empty());
//! assert_eq!(
//!     plan.tick(&pending, &[], QUIET_MS),
//!     [ResumeAction::Resume { turn: "turn-1-9".into(), after: Some(3) }]
//! );
//! ```

use crate::transcript::PendingTurn;

/// How long a pending turn may receive nothing (no frame that moves it on, no Lex answer) before
/// the widget asks for it again, in milliseconds.
pub const QUIET_MS: f64 = 5_000.0;

/// How many resumes a quiet turn gets in a row. Once they are spent, a turn no `RecognizeText`
/// call of this page is waiting for (restored after a reload, or answered asynchronously) is
/// given up one quiet period later; one still waited for is left to Lex's answer.
pub const MAX_QUIET_RESUMES: u32 = 12;

/// What to do for a pending turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResumeAction {
    /// Send `resume_request(turn, after)`.
    Resume {
        /// The turn.
        turn: String,
        /// The last `seq` applied.
        after: Option<u64>,
    },
    /// Nothing came despite every resume and nothing else will answer it: show the reply as
    /// interrupted, with what streamed.
    GiveUp {
        /// The turn.
        turn: String,
    },
}

/// What the plan remembers of one pending turn.
#[derive(Debug, Clone, PartialEq)]
struct Watch {
    /// The turn.
    turn: String,
    /// Where the turn stood (`after`, bytes received) when last seen to move.
    progress: (Option<u64>, usize),
    /// Since when nothing moved it (or the last resume), in milliseconds.
    quiet_since: f64,
    /// Resumes sent since it last moved.
    resumes: u32,
}

/// The resume decisions for the pending turns of one conversation (a few at most: a `Vec`,
/// which also keeps B-tree code out of the widget).
#[derive(Debug, Clone, Default)]
pub struct ResumePlan {
    watched: Vec<Watch>,
}

impl ResumePlan {
    /// The stream (re)opened at `now_ms`: every turn in `pending` is resumed at once (whatever
    /// the reconnect delay, and however many drops came before), and its quiet clock restarts.
    pub fn on_open(&mut self, pending: &[PendingTurn], now_ms: f64) -> Vec<ResumeAction> {
        pending
            .iter()
            .map(|turn| {
                let watch = self.watch(turn, now_ms);
                watch.quiet_since = now_ms;
                ResumeAction::Resume { turn: turn.turn.clone(), after: turn.after }
            })
            .collect()
    }

    /// Called about once a second with the pending turns and the turns a `RecognizeText` call of
    /// this page still waits for: resumes for turns quiet for [`QUIET_MS`], give-ups for turns
    /// whose resumes are spent. Turns no longer pending are forgotten.
    pub fn tick(&mut self, pending: &[PendingTurn], awaited: &[String], now_ms: f64) -> Vec<ResumeAction> {
        self.watched.retain(|watch| pending.iter().any(|p| p.turn == watch.turn));
        let mut actions = Vec::new();
        for turn in pending {
            let watch = self.watch(turn, now_ms);
            if now_ms - watch.quiet_since < QUIET_MS {
                continue;
            }
            if watch.resumes < MAX_QUIET_RESUMES {
                watch.resumes += 1;
                watch.quiet_since = now_ms;
                actions.push(ResumeAction::Resume { turn: turn.turn.clone(), after: turn.after });
            } else if !awaited.contains(&turn.turn) {
                self.watched.retain(|watch| watch.turn != turn.turn);
                actions.push(ResumeAction::GiveUp { turn: turn.turn.clone() });
            }
        }
        actions
    }

    /// The watch of `turn`, restarted if the turn moved since it was last seen.
    fn watch(&mut self, turn: &PendingTurn, now_ms: f64) -> &mut Watch {
        let progress = (turn.after, turn.received);
        let fresh = Watch { turn: turn.turn.clone(), progress, quiet_since: now_ms, resumes: 0 };
        let index = match self.watched.iter().position(|watch| watch.turn == turn.turn) {
            Some(index) => index,
            None => {
                self.watched.push(fresh.clone());
                self.watched.len() - 1
            }
        };
        let watch = &mut self.watched[index];
        if watch.progress != progress {
            *watch = fresh;
        }
        watch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(turn: &str, after: Option<u64>, received: usize) -> PendingTurn {
        PendingTurn { turn: turn.into(), after, received }
    }

    fn resume(turn: &str, after: Option<u64>) -> ResumeAction {
        ResumeAction::Resume { turn: turn.into(), after }
    }

    const NOBODY: &[String] = &[];

    #[test]
    fn every_pending_turn_is_resumed_when_the_socket_opens() {
        let mut plan = ResumePlan::default();
        let turns = [pending("t1", Some(4), 30), pending("t2", None, 0)];
        assert_eq!(plan.on_open(&turns, 0.0), [resume("t1", Some(4)), resume("t2", None)]);
        assert!(plan.on_open(&[], 10.0).is_empty(), "nothing pending, nothing sent");
    }

    #[test]
    fn a_turn_that_keeps_moving_is_never_resumed() {
        let mut plan = ResumePlan::default();
        for second in 0..60_u32 {
            let turn = pending("t", Some(u64::from(second)), second as usize * 10);
            assert!(plan.tick(&[turn], NOBODY, f64::from(second) * 1000.0).is_empty());
        }
    }

    #[test]
    fn a_quiet_turn_is_resumed_every_five_seconds_with_its_last_seq() {
        let mut plan = ResumePlan::default();
        let turn = [pending("t", Some(7), 100)];
        let mut sent = Vec::new();
        for second in 0..=16_u32 {
            let now = f64::from(second) * 1000.0;
            if !plan.tick(&turn, NOBODY, now).is_empty() {
                sent.push(second);
            }
        }
        assert_eq!(sent, [5, 10, 15]);
        assert_eq!(plan.tick(&turn, NOBODY, 20_000.0), [resume("t", Some(7))]);
    }

    #[test]
    fn a_reconnect_restarts_the_quiet_clock() {
        let mut plan = ResumePlan::default();
        let turn = [pending("t", Some(1), 5)];
        assert!(plan.tick(&turn, NOBODY, 0.0).is_empty());
        plan.on_open(&turn, 4_000.0);
        assert!(plan.tick(&turn, NOBODY, 5_000.0).is_empty(), "just resumed on the new socket");
        assert_eq!(plan.tick(&turn, NOBODY, 9_000.0), [resume("t", Some(1))]);
    }

    #[test]
    fn resumes_are_bounded_and_an_unawaited_turn_is_then_given_up() {
        let mut plan = ResumePlan::default();
        let turn = [pending("t", Some(2), 9)];
        let mut resumes = 0;
        let mut gave_up_at = None;
        for step in 0..100_u32 {
            match plan.tick(&turn, NOBODY, f64::from(step) * QUIET_MS).as_slice() {
                [] => {}
                [ResumeAction::Resume { .. }] => resumes += 1,
                [ResumeAction::GiveUp { turn }] if turn == "t" => {
                    gave_up_at = Some(step);
                    break;
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(resumes, MAX_QUIET_RESUMES);
        assert_eq!(gave_up_at, Some(MAX_QUIET_RESUMES + 1), "one quiet period after the last resume");
    }

    #[test]
    fn a_turn_lex_still_answers_is_not_given_up() {
        let mut plan = ResumePlan::default();
        let turn = [pending("t", None, 0)];
        let awaited = ["t".to_owned()];
        let actions: Vec<_> =
            (0..100_u32).flat_map(|step| plan.tick(&turn, &awaited, f64::from(step) * QUIET_MS)).collect();
        assert_eq!(actions.len(), MAX_QUIET_RESUMES as usize);
        assert!(actions.iter().all(|action| matches!(action, ResumeAction::Resume { .. })));
    }

    #[test]
    fn progress_renews_the_resume_budget_and_finished_turns_are_forgotten() {
        let mut plan = ResumePlan::default();
        let quiet = [pending("t", Some(1), 3)];
        for step in 0..=MAX_QUIET_RESUMES {
            plan.tick(&quiet, NOBODY, f64::from(step) * QUIET_MS);
        }
        let moved = [pending("t", Some(2), 3)];
        let now = f64::from(MAX_QUIET_RESUMES + 1) * QUIET_MS;
        assert!(plan.tick(&moved, NOBODY, now).is_empty(), "it moved");
        assert_eq!(plan.tick(&moved, NOBODY, now + QUIET_MS), [resume("t", Some(2))]);
        assert!(plan.tick(&[], NOBODY, now + 2.0 * QUIET_MS).is_empty());
        assert!(plan.watched.is_empty());
    }
}
