//! A cursor over an expression's tokens with the pieces every expression shares: attribute
//! paths, `:value` operands, and DynamoDB's syntax-error messages.

use super::super::error::DynamoDbError;
use super::Operand;
use super::lexer::{Token, syntax_error, tokenize};
use super::placeholders::Placeholders;

/// Words that start or join clauses, never attribute names.
const KEYWORDS: [&str; 9] = ["AND", "OR", "NOT", "BETWEEN", "IN", "SET", "REMOVE", "ADD", "DELETE"];

/// DynamoDB's limit on the length of one expression string.
const MAX_EXPRESSION_BYTES: usize = 4096;
/// How deep parentheses, `NOT`s and nested function calls may go: the parsers recurse once per
/// level, and hostile input must not exhaust the stack.
const MAX_NESTING: usize = 32;

/// The deepest nesting of `tokens`: open parentheses, plus every `NOT` (each one recurses).
fn nesting(tokens: &[Token]) -> usize {
    let (mut depth, mut deepest, mut nots) = (0usize, 0usize, 0usize);
    for token in tokens {
        match token {
            Token::Open => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            Token::Close => depth = depth.saturating_sub(1),
            Token::Word(word) if word.eq_ignore_ascii_case("NOT") => nots += 1,
            _ => {}
        }
    }
    deepest + nots
}

/// Reads the tokens of one expression, resolving placeholders as it goes.
pub(crate) struct Cursor<'p> {
    /// The expression's kind (`ConditionExpression`, …), for messages.
    pub(crate) kind: &'static str,
    tokens: Vec<Token>,
    at: usize,
    placeholders: &'p mut Placeholders,
}

impl<'p> Cursor<'p> {
    /// A cursor at the start of `text`, an expression of kind `kind`.
    pub(crate) fn new(
        kind: &'static str,
        text: &str,
        placeholders: &'p mut Placeholders,
    ) -> Result<Self, DynamoDbError> {
        if text.len() > MAX_EXPRESSION_BYTES {
            return Err(DynamoDbError::Validation(format!(
                "Invalid {kind}: Expression size has exceeded the maximum allowed size; expression size: {}",
                text.len()
            )));
        }
        let tokens = tokenize(kind, text)?;
        if nesting(&tokens) > MAX_NESTING {
            return Err(DynamoDbError::Validation(format!(
                "Invalid {kind}: The expression is nested more than {MAX_NESTING} levels deep"
            )));
        }
        if tokens.is_empty() {
            return Err(DynamoDbError::Validation(format!(
                "Invalid {kind}: The expression can not be empty;"
            )));
        }
        Ok(Self { kind, tokens, at: 0, placeholders })
    }

    /// The next token, not taken.
    pub(crate) fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    /// The token after the next one, not taken.
    pub(crate) fn peek_second(&self) -> Option<&Token> {
        self.tokens.get(self.at + 1)
    }

    /// Takes the next token.
    pub(crate) fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += usize::from(token.is_some());
        token
    }

    /// Takes the next token if it is `expected`.
    pub(crate) fn eat(&mut self, expected: &Token) -> bool {
        let found = self.peek() == Some(expected);
        self.at += usize::from(found);
        found
    }

    /// Takes the next token if it is the keyword `keyword`.
    pub(crate) fn eat_keyword(&mut self, keyword: &str) -> bool {
        let found = self.peek().is_some_and(|token| token.is_keyword(keyword));
        self.at += usize::from(found);
        found
    }

    /// Takes `expected` or fails with a syntax error.
    pub(crate) fn expect(&mut self, expected: &Token) -> Result<(), DynamoDbError> {
        if self.eat(expected) { Ok(()) } else { Err(self.unexpected()) }
    }

    /// The syntax error for the next token (or the end).
    pub(crate) fn unexpected(&self) -> DynamoDbError {
        syntax_error(self.kind, &self.peek().map_or_else(|| "<EOF>".to_owned(), Token::text))
    }

    /// Fails unless every token was read.
    pub(crate) fn finish(&self) -> Result<(), DynamoDbError> {
        if self.peek().is_some() { Err(self.unexpected()) } else { Ok(()) }
    }

    /// A refusal for something the devstack does not emulate.
    pub(crate) fn not_emulated(&self, what: &str) -> DynamoDbError {
        DynamoDbError::Validation(format!("Invalid {}: the devstack does not emulate {what}", self.kind))
    }

    /// A top-level attribute path: a name or `#name`.
    pub(crate) fn path(&mut self) -> Result<String, DynamoDbError> {
        let name = match self.peek() {
            Some(Token::Word(word)) if !KEYWORDS.iter().any(|k| word.eq_ignore_ascii_case(k)) => word.clone(),
            Some(Token::NamePlaceholder(placeholder)) => {
                let placeholder = placeholder.clone();
                self.placeholders.name(self.kind, &placeholder)?
            }
            _ => return Err(self.unexpected()),
        };
        self.at += 1;
        if matches!(self.peek(), Some(Token::Dot | Token::OpenBracket)) {
            return Err(
                self.not_emulated(&format!("nested document paths ({name}…); use top-level attributes"))
            );
        }
        Ok(name)
    }

    /// The value of a `:value` placeholder, if one comes next.
    pub(crate) fn value(&mut self) -> Result<Option<Operand>, DynamoDbError> {
        let Some(Token::ValuePlaceholder(placeholder)) = self.peek() else { return Ok(None) };
        let placeholder = placeholder.clone();
        let value = self.placeholders.value(self.kind, &placeholder)?;
        self.at += 1;
        Ok(Some(Operand::Value(value)))
    }

    /// A path or a `:value`.
    pub(crate) fn operand(&mut self) -> Result<Operand, DynamoDbError> {
        match self.value()? {
            Some(value) => Ok(value),
            None => self.path().map(Operand::Path),
        }
    }
}
