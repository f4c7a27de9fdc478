namespace DataTrust.Accounts.Mail;

/// <summary>The account mails, in the reader's language first and the other one below it.</summary>
internal static class AccountMails
{
    public static OutgoingMail Confirm(string to, string link, string locale) => Bilingual(to, locale,
        "【DataTrust】メールアドレスの確認", "[DataTrust] Confirm your e-mail address",
        $"DataTrust への登録ありがとうございます。\n次のリンクを開くと登録が完了します（24時間有効）。\n{link}\n\nお心当たりがない場合は、このメールを削除してください。",
        $"Thank you for signing up to DataTrust.\nOpen this link to finish (valid for 24 hours):\n{link}\n\nIf this was not you, delete this e-mail.");

    public static OutgoingMail AlreadyRegistered(string to, string origin, string locale) => Bilingual(to, locale,
        "【DataTrust】このアドレスはすでに登録されています", "[DataTrust] This address already has an account",
        $"このメールアドレスで新しい登録の申し込みがありましたが、すでにアカウントがあります。\nパスワードを忘れた場合は、こちらから再設定できます。\n{origin}/account/forgot-password\n\nお心当たりがない場合は、このメールを削除してください。",
        $"Someone asked to sign up with this e-mail address, which already has an account.\nIf you forgot your password, reset it here:\n{origin}/account/forgot-password\n\nIf this was not you, delete this e-mail.");

    public static OutgoingMail ResetPassword(string to, string link, string locale) => Bilingual(to, locale,
        "【DataTrust】パスワードの再設定", "[DataTrust] Reset your password",
        $"パスワード再設定の申し込みを受け付けました。\n次のリンクから新しいパスワードを設定してください（24時間有効、1回のみ）。\n{link}\n\nお心当たりがない場合は、このメールを削除してください。パスワードは変わりません。",
        $"We received a request to reset your password.\nSet a new one with this link (valid for 24 hours, once):\n{link}\n\nIf this was not you, delete this e-mail. Your password stays the same.");

    private static OutgoingMail Bilingual(string to, string locale, string subjectJa, string subjectEn, string bodyJa, string bodyEn)
    {
        var english = locale.StartsWith("en", StringComparison.OrdinalIgnoreCase);
        return english
            ? new OutgoingMail(to, subjectEn, $"{bodyEn}\n\n----\n\n{bodyJa}\n")
            : new OutgoingMail(to, subjectJa, $"{bodyJa}\n\n----\n\n{bodyEn}\n");
    }
}
