using DataTrust.Audit;
using DataTrust.Audit.Events;
using DataTrust.Persistence;
using Microsoft.AspNetCore.Identity;

namespace DataTrust.Accounts.Registration;

/// <summary>Following the mailed link confirms the address, which is what lets the account sign in.</summary>
internal sealed class ConfirmEmail(UserManager<UserAccount> users, DataTrustDbContext db, IAuditLog audit)
{
    public async Task<bool> HandleAsync(string? userId, string? token)
    {
        if (!Guid.TryParse(userId, out var id) || MailedToken.Decode(token) is not { } decoded
            || await users.FindByIdAsync(id.ToString()) is not { } user)
        {
            return false;
        }

        var result = await AccountAudit.RunAsync(
            db,
            audit,
            r => r.Succeeded ? new AccountSecurityChanged(AuditActor.Resident(user.Id), AccountAudit.EmailConfirmed) : null,
            () => users.ConfirmEmailAsync(user, decoded),
            CancellationToken.None);
        return result.Succeeded;
    }
}
