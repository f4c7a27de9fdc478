using DataTrust.Accounts.Mail;
using DataTrust.Audit;
using DataTrust.Persistence;
using Microsoft.AspNetCore.Identity;

namespace DataTrust.Accounts.Registration;

/// <summary>
/// Sign-up: a new resident account waits unconfirmed until its owner follows the link mailed to the
/// address. The answer is the same whether or not the address already had an account (no account
/// enumeration); its owner gets a notice instead of a second account.
/// </summary>
internal sealed class RegisterResident(UserManager<UserAccount> users, DataTrustDbContext db, IAuditLog audit, IMailSender mail, TimeProvider clock)
{
    public sealed record Request(string Email, string DisplayName, string Password, string Locale);

    /// <summary>Null when the request was accepted; otherwise the password or input problems to show.</summary>
    public async Task<IReadOnlyList<string>?> HandleAsync(Request request, string origin, CancellationToken cancellationToken)
    {
        if (await users.FindByEmailAsync(request.Email) is not null)
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
        var created = await AccountAudit.RunAsync(
            db,
            audit,
            result => result.Succeeded ? new AccountSecurityChanged(Audit.Events.AuditActor.Resident(user.Id), AccountAudit.Registered) : null,
            async () =>
            {
                var result = await users.CreateAsync(user, request.Password);
                return result.Succeeded ? await users.AddToRoleAsync(user, Roles.Resident) : result;
            },
            cancellationToken);
        if (!created.Succeeded)
        {
            return created.Errors.Select(e => e.Code).ToList();
        }

        var token = MailedToken.Encode(await users.GenerateEmailConfirmationTokenAsync(user));
        var link = $"{origin}/account/confirm?user={user.Id}&token={token}";
        await mail.SendAsync(AccountMails.Confirm(request.Email, link, request.Locale), cancellationToken);
        return null;
    }
}
