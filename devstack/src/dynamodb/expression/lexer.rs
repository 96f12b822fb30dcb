//! Splits a DynamoDB expression into tokens: words, `#name` and `:value` placeholders,
//! comparators, `+ -`, parentheses, commas, and the `.`/`[n]` of document paths.

use super::super::error::DynamoDbError;

/// A comparator of condition expressions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Comparator {
    /// `=`
    Equal,
    /// `<>`
    NotEqual,
    /// `<`
    Less,
    /// `<=`
    LessOrEqual,
    /// `>`
    Greater,
    /// `>=`
    GreaterOrEqual,
}

/// One token of an expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token {
    /// An attribute name, keyword or function name.
    Word(String),
    /// `#name`, an expression attribute name.
    NamePlaceholder(String),
    /// `:value`, an expression attribute value.
    ValuePlaceholder(String),
    /// A list index's digits.
    Digits(String),
    /// A comparator.
    Compare(Comparator),
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `(`
    Open,
    /// `)`
    Close,
    /// `,`
    Comma,
    /// `.`
    Dot,
    /// `[`
    OpenBracket,
    /// `]`
    CloseBracket,
}

impl Token {
    /// The token as written, for error messages.
    pub(crate) fn text(&self) -> String {
        match self {
            Self::Word(text)
            | Self::NamePlaceholder(text)
            | Self::ValuePlaceholder(text)
            | Self::Digits(text) => text.clone(),
            Self::Compare(comparator) => match comparator {
                Comparator::Equal => "=",
                Comparator::NotEqual => "<>",
                Comparator::Less => "<",
                Comparator::LessOrEqual => "<=",
                Comparator::Greater => ">",
                Comparator::GreaterOrEqual => ">=",
            }
            .to_owned(),
            Self::Plus => "+".to_owned(),
            Self::Minus => "-".to_owned(),
            Self::Open => "(".to_owned(),
            Self::Close => ")".to_owned(),
            Self::Comma => ",".to_owned(),
            Self::Dot => ".".to_owned(),
            Self::OpenBracket => "[".to_owned(),
            Self::CloseBracket => "]".to_owned(),
        }
    }

    /// Whether this is the keyword `keyword` (keywords are case-insensitive).
    pub(crate) fn is_keyword(&self, keyword: &str) -> bool {
        matches!(self, Self::Word(word) if word.eq_ignore_ascii_case(keyword))
    }
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Splits `text`, an expression of kind `kind` (`ConditionExpression`, …), into tokens.
pub(crate) fn tokenize(kind: &str, text: &str) -> Result<Vec<Token>, DynamoDbError> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        let mut take_word = |first: usize| {
            let mut end = first;
            while let Some(&(at, next)) = chars.peek() {
                if !is_word_char(next) {
                    break;
                }
                end = at + next.len_utf8();
                chars.next();
            }
            text[first..end].to_owned()
        };
        let token = match c {
            c if c.is_whitespace() => continue,
            '#' | ':' => {
                let word = take_word(start + 1);
                if word.is_empty() {
                    return Err(syntax_error(kind, &c.to_string()));
                }
                let placeholder = format!("{c}{word}");
                if c == '#' {
                    Token::NamePlaceholder(placeholder)
                } else {
                    Token::ValuePlaceholder(placeholder)
                }
            }
            c if c.is_ascii_digit() => Token::Digits(format!("{c}{}", take_word(start + 1))),
            c if is_word_char(c) => Token::Word(format!("{c}{}", take_word(start + 1))),
            '=' => Token::Compare(Comparator::Equal),
            '<' => match chars.peek() {
                Some((_, '=')) => {
                    chars.next();
                    Token::Compare(Comparator::LessOrEqual)
                }
                Some((_, '>')) => {
                    chars.next();
                    Token::Compare(Comparator::NotEqual)
                }
                _ => Token::Compare(Comparator::Less),
            },
            '>' => match chars.peek() {
                Some((_, '=')) => {
                    chars.next();
                    Token::Compare(Comparator::GreaterOrEqual)
                }
                _ => Token::Compare(Comparator::Greater),
            },
            '+' => Token::Plus,
            '-' => Token::Minus,
            '(' => Token::Open,
            ')' => Token::Close,
            ',' => Token::Comma,
            '.' => Token::Dot,
            '[' => Token::OpenBracket,
            ']' => Token::CloseBracket,
            other => return Err(syntax_error(kind, &other.to_string())),
        };
        tokens.push(token);
    }
    Ok(tokens)
}

/// DynamoDB's message for an unexpected token (`<EOF>` at the end).
pub(crate) fn syntax_error(kind: &str, token: &str) -> DynamoDbError {
    DynamoDbError::Validation(format!("Invalid {kind}: Syntax error; token: \"{token}\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_split_into_tokens() {
        let tokens = tokenize("ConditionExpression", "#c <> :v AND attribute_exists(ttl)").unwrap();
        assert_eq!(
            tokens,
            vec![
                Token::NamePlaceholder("#c".into()),
                Token::Compare(Comparator::NotEqual),
                Token::ValuePlaceholder(":v".into()),
                Token::Word("AND".into()),
                Token::Word("attribute_exists".into()),
                Token::Open,
                Token::Word("ttl".into()),
                Token::Close,
            ]
        );
        let update = tokenize("UpdateExpression", "SET n=n-:one, l[2].x >= <=").unwrap();
        assert!(update.contains(&Token::Minus) && update.contains(&Token::Digits("2".into())));
        assert!(update.ends_with(&[
            Token::Compare(Comparator::GreaterOrEqual),
            Token::Compare(Comparator::LessOrEqual)
        ]));
    }

    #[test]
    fn stray_characters_are_syntax_errors() {
        let error = tokenize("ConditionExpression", "a = :v ; b").unwrap_err();
        assert_eq!(error.to_string(), "Invalid ConditionExpression: Syntax error; token: \";\"");
        assert!(tokenize("UpdateExpression", "SET a = :").is_err());
    }
}
