using DataTrust.Accounts.Mail;
using Microsoft.AspNetCore.Identity;

namespace DataTrust.Accounts.Registration;

/// <summary>
/// Sign-up: a new resident account waits unconfirmed until its owner follows the link mailed to the
/// address. The answer is the same whether or not the address already had an account (no account
/// enumeration); its owner gets a notice instead of a second account.
/// </summary>
public sealed class RegisterResident(UserManager<UserAccount> users, IMailSender mail, TimeProvider clock)
{
    public sealed record Request(string Email, string DisplayName, string Password, string Locale);

    /// <summary>Null when the request was accepted; otherwise the password or input problems to show.</summary>
    public async Task<IReadOnlyList<string>?> HandleAsync(Request request, string origin, CancellationToken cancellationToken)
    {
        var existing = await users.FindByEmailAsync(request.Email);
        if (existing is not null)
        {
            await mail.SendAsync(AccountMails.AlreadyRegistered(request.Email, origin, request.Locale), cancellationToken);
            return null;
        }

        var user = new UserAccount
        {
            UserName = request.Email,
            Email = request.Email,
            DisplayName = request.DisplayName,
            PreferredLocale = request.Locale,
            CreatedAt = clock.GetUtcNow(),
        };
        var created = await users.CreateAsync(user, request.Password);
        if (!created.Succeeded)
        {
            return created.Errors.Select(e => e.Code).ToList();
        }

        await users.AddToRoleAsync(user, Roles.Resident);
        var token = MailedToken.Encode(await users.GenerateEmailConfirmationTokenAsync(user));
        var link = $"{origin}/account/confirm?user={user.Id}&token={token}";
        await mail.SendAsync(AccountMails.Confirm(request.Email, link, request.Locale), cancellationToken);
        return null;
    }
}
