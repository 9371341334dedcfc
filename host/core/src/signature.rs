//! Signatures: a task's typed contract, and the checks a call must pass before it runs.
//!
//! A *signature* is one exported function's name, parameters and result, as its WIT
//! spells them. [`Exports`] are all of a component's signatures: a call is looked up
//! there by name, parsed from WAVE or given as values, and checked against its
//! signature. Nothing that does not fit ever reaches a sandbox.

use std::fmt;
use std::sync::Arc;

use crate::error::CallError;
use crate::types::{ValueType, check_value};
use crate::value::Value;

/// One exported function's WIT signature.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Signature {
    /// Shared, so each submission can name its producer without a copy.
    name: Arc<str>,
    params: Vec<(String, ValueType)>,
    result: Option<ValueType>,
}

impl fmt::Display for Signature {
    /// `name: func(a: u32, b: string) -> list<u8>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: func(", self.name)?;
        for (i, (name, ty)) in self.params.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{name}: {ty}")?;
        }
        f.write_str(")")?;
        match &self.result {
            Some(ty) => write!(f, " -> {ty}"),
            None => Ok(()),
        }
    }
}

impl Signature {
    pub fn new(name: &str, params: Vec<(String, ValueType)>, result: Option<ValueType>) -> Self {
        Signature {
            name: name.into(),
            params,
            result,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The name, shared.
    pub fn shared_name(&self) -> Arc<str> {
        self.name.clone()
    }

    pub fn params(&self) -> &[(String, ValueType)] {
        &self.params
    }

    pub fn result(&self) -> Option<&ValueType> {
        self.result.as_ref()
    }

    /// Writes a `list<u8>` argument given as a list of `u8` values as bytes, the form
    /// Wask keeps them in.
    pub fn normalize_args(&self, args: Vec<Value>) -> Vec<Value> {
        args.into_iter()
            .enumerate()
            .map(|(position, arg)| match (&arg, self.params.get(position)) {
                (Value::List(_), Some((_, ty))) if ty.is_bytes() => arg
                    .to_bytes()
                    .map_or(arg, |bytes| Value::Bytes(bytes.into())),
                _ => arg,
            })
            .collect()
    }

    /// Checks one argument against parameter `position` (from 0).
    pub fn check_arg(&self, position: usize, arg: &Value) -> Result<(), CallError> {
        let (param, ty) = self.param(position)?;
        check_value(arg, ty).map_err(|problem| self.wrong_type(position, param, ty, problem))
    }

    /// Checks that a value of type `given` fits parameter `position`: the type a ref's
    /// value will have, checked before the ref is ready.
    pub fn check_arg_type(&self, position: usize, given: &ValueType) -> Result<(), CallError> {
        let (param, ty) = self.param(position)?;
        if ty == given {
            return Ok(());
        }
        Err(self.wrong_type(position, param, ty, format!("got a ref to {given}")))
    }

    /// Checks the number and types of all arguments.
    pub fn check_args(&self, args: &[Value]) -> Result<(), CallError> {
        if args.len() != self.params.len() {
            return Err(self.arity_error(args.len()));
        }
        for (position, arg) in args.iter().enumerate() {
            self.check_arg(position, arg)?;
        }
        Ok(())
    }

    /// The error for a call with `given` arguments.
    pub fn arity_error(&self, given: usize) -> CallError {
        CallError::WrongArity {
            func: self.name.to_string(),
            signature: self.to_string(),
            expected: self.params.len(),
            given,
        }
    }

    fn param(&self, position: usize) -> Result<(&str, &ValueType), CallError> {
        self.params
            .get(position)
            .map(|(name, ty)| (name.as_str(), ty))
            .ok_or_else(|| self.arity_error(position + 1))
    }

    pub(crate) fn wrong_type(
        &self,
        position: usize,
        param: &str,
        ty: &ValueType,
        problem: String,
    ) -> CallError {
        CallError::WrongType {
            func: self.name.to_string(),
            position: position + 1,
            param: param.to_owned(),
            expected: ty.to_string(),
            problem,
        }
    }
}

/// The signatures a component exports, in the component's order, under its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exports {
    component: String,
    functions: Vec<Signature>,
}

/// `count_words` and `countWords` as `count-words`: how WIT would spell a name.
fn kebab_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let mut prev_lower = false;
    for c in name.chars() {
        if c == '_' {
            out.push('-');
        } else if c.is_uppercase() && prev_lower {
            out.push('-');
            out.extend(c.to_lowercase());
        } else {
            out.extend(c.to_lowercase());
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
    }
    out
}

impl Exports {
    /// `component` names the component in messages (its file name, say).
    pub fn new(component: &str, functions: Vec<Signature>) -> Self {
        Exports {
            component: component.to_owned(),
            functions,
        }
    }

    pub fn component(&self) -> &str {
        &self.component
    }

    pub fn functions(&self) -> &[Signature] {
        &self.functions
    }

    /// The function at `index`, as [`Exports::find`] gave it.
    ///
    /// # Panics
    /// If `index` is not one of this component's functions.
    pub fn function(&self, index: usize) -> &Signature {
        &self.functions[index]
    }

    /// Every signature, comma-separated, for messages.
    pub fn list(&self) -> String {
        let all: Vec<String> = self.functions.iter().map(ToString::to_string).collect();
        all.join(", ")
    }

    /// The index of the function called `name`. A Rust, Python or JavaScript spelling
    /// of a WIT name (`count_words` or `countWords` for `count-words`) is named in the
    /// error.
    pub fn find(&self, name: &str) -> Result<usize, CallError> {
        if let Some(index) = self.functions.iter().position(|f| f.name() == name) {
            return Ok(index);
        }
        let kebab = kebab_case(name);
        let suggestion = self
            .functions
            .iter()
            .find(|f| f.name() == kebab)
            .map(|f| f.name().to_owned());
        Err(CallError::UnknownFunction {
            name: name.to_owned(),
            component: self.component.clone(),
            available: self.list(),
            suggestion,
        })
    }

    /// Checks a call given as values: the function's index, and the arguments with
    /// bytes in Wask's form.
    pub fn call(&self, name: &str, args: Vec<Value>) -> Result<(usize, Vec<Value>), CallError> {
        let index = self.find(name)?;
        let func = &self.functions[index];
        let args = func.normalize_args(args);
        func.check_args(&args)?;
        Ok((index, args))
    }

    /// Parses a call written in WAVE, such as `fib(100)`, and checks it against the
    /// export's signature. If the component exports exactly one function, the text
    /// may give only the arguments: `(100)` or `100`.
    pub fn parse_call(&self, text: &str) -> Result<(usize, Vec<Value>), CallError> {
        crate::wave::parse_call(self, text)
    }
}

#[cfg(test)]
mod test {
    //! Lookup and checks of calls given as values.

    use super::*;

    fn exports() -> Exports {
        Exports::new(
            "words.wasm",
            vec![Signature::new(
                "count-words",
                vec![("text".into(), ValueType::String)],
                Some(ValueType::U32),
            )],
        )
    }

    #[test]
    fn a_snake_case_name_suggests_the_export() {
        let err = exports().find("count_words").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown function `count_words`; did you mean `count-words`? (WIT names are kebab-case); words.wasm exports: count-words: func(text: string) -> u32"
        );
    }

    #[test]
    fn a_camel_case_name_suggests_the_export() {
        let err = exports().find("countWords").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("unknown function `countWords`; did you mean `count-words`?"),
            "{err}"
        );
    }

    #[test]
    fn arity_and_types_are_checked() {
        let e = exports();
        assert!(matches!(
            e.call("count-words", vec![]),
            Err(CallError::WrongArity { given: 0, .. })
        ));
        assert_eq!(
            e.call("count-words", vec![Value::U32(1)])
                .unwrap_err()
                .to_string(),
            "argument 1 (`text`) of `count-words`: expected string, got a u32"
        );
        assert!(
            e.call("count-words", vec![Value::String("a b".into())])
                .is_ok()
        );
    }
}
