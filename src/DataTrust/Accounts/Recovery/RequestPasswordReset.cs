using DataTrust.Accounts.Mail;
using Microsoft.AspNetCore.Identity;

namespace DataTrust.Accounts.Recovery;

/// <summary>
/// "Forgot password": mails a single-use reset link to a confirmed address. The page says the same
/// thing whether or not the address has an account.
/// </summary>
internal sealed class RequestPasswordReset(UserManager<UserAccount> users, IMailSender mail)
{
    public async Task HandleAsync(string email, string origin, string locale, CancellationToken cancellationToken)
    {
        var user = await users.FindByEmailAsync(email);
        if (user is null || !await users.IsEmailConfirmedAsync(user))
        {
            return;
        }

        var token = MailedToken.Encode(await users.GeneratePasswordResetTokenAsync(user));
        var link = $"{origin}/account/reset-password?user={user.Id}&token={token}";
        await mail.SendAsync(AccountMails.ResetPassword(user.Email!, link, user.PreferredLocale), cancellationToken);
    }
}
