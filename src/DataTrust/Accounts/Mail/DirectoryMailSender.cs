using System.Globalization;
using System.Text;
using DataTrust.Common;
using Microsoft.Extensions.Options;

namespace DataTrust.Accounts.Mail;

/// <summary>
/// Without an SMTP server (Development, evaluation), each message becomes a file in
/// <c>&lt;DataDirectory&gt;/mail</c> that a developer or test can open.
/// </summary>
internal sealed class DirectoryMailSender(IOptions<DataTrustOptions> options, IOptions<MailOptions> mail, TimeProvider clock) : IMailSender
{
    public string Directory => Path.Combine(Path.GetFullPath(options.Value.DataDirectory), "mail");

    public async Task SendAsync(OutgoingMail message, CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var name = $"{clock.GetUtcNow().ToString("yyyyMMdd'T'HHmmssfff", CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}.eml";
        var text = new StringBuilder()
            .Append("From: ").AppendLine(mail.Value.From)
            .Append("To: ").AppendLine(message.To)
            .Append("Subject: ").AppendLine(message.Subject)
            .AppendLine("Content-Type: text/plain; charset=utf-8")
            .AppendLine()
            .Append(message.Body)
            .ToString();
        await File.WriteAllTextAsync(Path.Combine(Directory, name), text, Encoding.UTF8, cancellationToken);
    }
}
