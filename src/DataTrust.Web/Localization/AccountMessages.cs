namespace DataTrust.Web.Localization;

/// <summary>Plain-language text for the Identity error codes a person can cause.</summary>
internal static class AccountMessages
{
    public static string Describe(string code) => code switch
    {
        "PasswordTooShort" => Text.T("パスワードは12文字以上にしてください。", "Use at least 12 characters for your password."),
        "PasswordRequiresUniqueChars" => Text.T("パスワードには4種類以上の文字を使ってください。", "Use at least 4 different characters in your password."),
        "CommonPassword" => Text.T("このパスワードは推測されやすいため使えません。よく使われるもの、同じ文字や並んだ文字の繰り返し、メールアドレスを含むものは避けてください。",
                                   "This password is too easy to guess. Avoid common passwords, repeated or sequential characters, and your e-mail address."),
        "PasswordMismatch" => Text.T("確認用のパスワードが一致しません。", "The two passwords do not match."),
        "InvalidEmail" => Text.T("メールアドレスの形が正しくありません。", "This e-mail address is not valid."),
        "InvalidToken" => Text.T("このリンクは使えません。期限が切れたか、すでに使われています。もう一度お申し込みください。",
                                 "This link cannot be used: it has expired or was already used. Please ask for a new one."),
        _ => Text.T("入力を確かめて、もう一度お試しください。", "Check what you entered and try again."),
    };
}
