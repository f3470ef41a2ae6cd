//! `ams commands`: every verb with its parameters, from the clap tree itself.

use ams_core::Result;
use clap::builder::ValueParser;
use clap::{ArgAction, Args, CommandFactory};
use serde_json::{Value, json};

use crate::cli::Cli;
use crate::cmdlets::cmdlet_for;

#[derive(Debug, Args)]
pub struct CommandsArgs {
    /// Print JSON (the default; accepted for clarity in scripts).
    #[arg(long)]
    pub json: bool,
}

fn type_name(p: &ValueParser) -> &'static str {
    let id = p.type_id();
    let is = |q: ValueParser| q.type_id() == id;
    if is(ValueParser::bool()) {
        "bool"
    } else if is(clap::value_parser!(u32).into())
        || is(clap::value_parser!(u64).into())
        || is(clap::value_parser!(i64).into())
    {
        "int"
    } else if is(ValueParser::path_buf()) {
        "path"
    } else {
        "string"
    }
}

/// Lists every leaf verb of the command tree.
pub fn catalogue() -> Vec<Value> {
    let mut out = Vec::new();
    walk(&Cli::command(), &mut Vec::new(), &mut out);
    out
}

fn walk(cmd: &clap::Command, path: &mut Vec<String>, out: &mut Vec<Value>) {
    let subs: Vec<&clap::Command> = cmd.get_subcommands().collect();
    if subs.is_empty() && !path.is_empty() {
        let verb = path.join(" ");
        let params: Vec<Value> = cmd
            .get_arguments()
            .filter(|a| !a.is_global_set() && a.get_long().is_some())
            .filter(|a| {
                !matches!(
                    a.get_action(),
                    ArgAction::Help | ArgAction::Version | ArgAction::HelpShort | ArgAction::HelpLong
                )
            })
            .filter(|a| !["data-dir", "output"].contains(&a.get_long().unwrap_or_default()))
            .map(|a| {
                let switch = matches!(a.get_action(), ArgAction::SetTrue | ArgAction::SetFalse);
                let values: Vec<String> = a.get_possible_values().iter().map(|v| v.get_name().to_string()).collect();
                json!({
                    "name": format!("--{}", a.get_long().unwrap_or_default()),
                    "type": if switch {
                        "switch"
                    } else if type_name(a.get_value_parser()) == "bool" || values.is_empty() {
                        type_name(a.get_value_parser())
                    } else {
                        "enum"
                    },
                    "values": if switch { Vec::new() } else { values },
                    "required": a.is_required_set(),
                    "multiple": matches!(a.get_action(), ArgAction::Append),
                    // `--enabled [BOOL]`: the bare flag means true, and false can be given.
                    "optionalValue": !switch && a.get_num_args().is_some_and(|n| n.min_values() == 0),
                    "help": a.get_help().map(|h| h.to_string()).unwrap_or_default(),
                })
            })
            .collect();
        out.push(json!({
            "verb": verb,
            "cmdlet": cmdlet_for(&verb),
            "about": cmd.get_about().map(|h| h.to_string()).unwrap_or_default(),
            "parameters": params,
        }));
        return;
    }
    for s in subs {
        path.push(s.get_name().to_string());
        walk(s, path, out);
        path.pop();
    }
}

pub fn commands(_a: CommandsArgs) -> Result<Value> {
    Ok(json!({ "commands": catalogue() }))
}
