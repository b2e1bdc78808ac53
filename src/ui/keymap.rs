//! Keys → actions, remappable from the policy file's `[keys]` (`action = "key"`).

use std::collections::BTreeMap;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;
use crate::report::Status;

/// Remappable actions, their default key, and what the help overlay says of them.
pub const BINDINGS: &[(&str, &str, &str)] = &[
    ("quit", "q", "quit (Esc too, when nothing is open)"),
    ("help", "?", "this help"),
    ("filter", "/", "filter by ID, slug, title or message"),
    ("toggle_passed", "s", "show or hide passed checks"),
    ("explain", "e", "the check's full explanation"),
    ("fix", "f", "the fix for the selected check: its plan"),
    ("apply", "a", "in the fix preview: apply the plan shown"),
    ("rerun", "r", "run every check again"),
    ("nodes", "n", "switch between this node's checks and every node of the cluster"),
    ("smoke", "m", "run Wasm: this node's runtimes (WD109); on WD311 or in Nodes, Jobs"),
    ("down", "j", "next check (also ↓)"),
    ("up", "k", "previous check (also ↑)"),
];

#[derive(Debug, Clone)]
pub struct KeyMap {
    keys: BTreeMap<char, &'static str>,
}

impl KeyMap {
    /// The defaults, with `[keys]` overrides; unknown action names or keys that are not one
    /// character are reported.
    pub fn new(overrides: &BTreeMap<String, String>) -> Result<KeyMap, String> {
        let mut by_action: BTreeMap<&'static str, char> = BINDINGS.iter().map(|(a, k, _)| (*a, first(k))).collect();
        for (action, key) in overrides {
            let Some((name, _, _)) = BINDINGS.iter().find(|(a, _, _)| a == action) else {
                return Err(format!(
                    "`[keys] {action}` is not an action ({})",
                    BINDINGS.iter().map(|b| b.0).collect::<Vec<_>>().join(", ")
                ));
            };
            let mut chars = key.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => {
                    by_action.insert(name, c);
                }
                _ => return Err(format!("`[keys] {action} = \"{key}\"` must be a single character")),
            }
        }
        Ok(KeyMap { keys: by_action.into_iter().map(|(a, c)| (c, a)).collect() })
    }

    pub fn key_for(&self, action: &str) -> String {
        self.keys.iter().find(|(_, a)| **a == action).map(|(c, _)| c.to_string()).unwrap_or_default()
    }

    /// The action of a key; while `typing` (a filter, a service name), characters are text.
    pub fn action(&self, key: KeyEvent, typing: bool) -> Option<Action> {
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            return Some(Action::Quit);
        }
        if typing {
            return match key.code {
                KeyCode::Char(c) => Some(Action::FilterInput(c)),
                KeyCode::Backspace => Some(Action::FilterBackspace),
                KeyCode::Enter => Some(Action::FilterCommit),
                KeyCode::Esc => Some(Action::Close),
                _ => None,
            };
        }
        match key.code {
            KeyCode::Esc => Some(Action::Close),
            KeyCode::Up => Some(Action::Up),
            KeyCode::Down => Some(Action::Down),
            KeyCode::PageUp => Some(Action::PageUp),
            KeyCode::PageDown => Some(Action::PageDown),
            KeyCode::Home => Some(Action::Home),
            KeyCode::End => Some(Action::End),
            KeyCode::Tab | KeyCode::BackTab => Some(Action::FocusNext),
            KeyCode::Enter => Some(Action::FocusNext),
            KeyCode::Char(c @ '1'..='5') => Some(Action::StatusFilter(match c {
                '1' => Status::Fail,
                '2' => Status::Warn,
                '3' => Status::Error,
                '4' => Status::Skip,
                _ => Status::Pass,
            })),
            KeyCode::Char(c) => match self.keys.get(&c).copied()? {
                "quit" => Some(Action::Quit),
                "help" => Some(Action::Help),
                "filter" => Some(Action::FilterStart),
                "toggle_passed" => Some(Action::ToggleShowPassed),
                "explain" => Some(Action::Explain),
                "fix" => Some(Action::Fix),
                "apply" => Some(Action::Apply),
                "rerun" => Some(Action::Rerun),
                "nodes" => Some(Action::SwitchScreen),
                "smoke" => Some(Action::Smoke),
                "down" => Some(Action::Down),
                "up" => Some(Action::Up),
                _ => None,
            },
            _ => None,
        }
    }
}

fn first(s: &str) -> char {
    s.chars().next().unwrap_or(' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn remapping() {
        let m = KeyMap::new(&BTreeMap::from([("quit".to_string(), "x".to_string())])).unwrap();
        assert_eq!(m.action(key('x'), false), Some(Action::Quit));
        assert_eq!(m.action(key('q'), false), None);
        assert_eq!(m.action(key('q'), true), Some(Action::FilterInput('q')));
        assert_eq!(m.action(key('3'), false), Some(Action::StatusFilter(Status::Error)));
        assert!(KeyMap::new(&BTreeMap::from([("jump".to_string(), "x".to_string())])).is_err());
        assert!(KeyMap::new(&BTreeMap::from([("quit".to_string(), "xy".to_string())])).is_err());
    }
}
