namespace DataTrust.Accounts.Mail;

/// <summary>A plain-text message to one person. Bodies hold links and instructions, never records.</summary>
public sealed record OutgoingMail(string To, string Subject, string Body);

public interface IMailSender
{
    Task SendAsync(OutgoingMail mail, CancellationToken cancellationToken);
}

/// <summary>Settings under <c>Mail</c>: without <c>Smtp:Host</c>, mail is written as files into the data directory.</summary>
public sealed class MailOptions
{
    public const string Section = "Mail";

    public string From { get; set; } = "DataTrust <no-reply@datatrust.example.city>";

    public SmtpSettings Smtp { get; set; } = new();

    public sealed class SmtpSettings
    {
        public string? Host { get; set; }

        public int Port { get; set; } = 587;

        public bool EnableSsl { get; set; } = true;

        public string? UserName { get; set; }

        public string? Password { get; set; }
    }
}
