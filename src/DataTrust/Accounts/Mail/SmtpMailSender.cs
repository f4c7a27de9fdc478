using System.Net;
using System.Net.Mail;
using Microsoft.Extensions.Options;

namespace DataTrust.Accounts.Mail;

internal sealed class SmtpMailSender(IOptions<MailOptions> options) : IMailSender
{
    public async Task SendAsync(OutgoingMail mail, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        using var client = new SmtpClient(settings.Smtp.Host, settings.Smtp.Port) { EnableSsl = settings.Smtp.EnableSsl };
        if (settings.Smtp.UserName is { Length: > 0 } user)
        {
            client.Credentials = new NetworkCredential(user, settings.Smtp.Password);
        }

        using var message = new MailMessage(settings.From, mail.To, mail.Subject, mail.Body)
        {
            BodyEncoding = System.Text.Encoding.UTF8,
            SubjectEncoding = System.Text.Encoding.UTF8,
        };
        await client.SendMailAsync(message, cancellationToken);
    }
}
