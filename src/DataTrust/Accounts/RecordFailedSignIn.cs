using DataTrust.Audit;
using DataTrust.Audit.Events;
using DataTrust.Persistence;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Accounts;

/// <summary>
/// Records a refused sign-in. The account is named (by pseudonym, in the log) only when the address
/// matched one; the typed address itself is never recorded.
/// </summary>
internal sealed class RecordFailedSignIn(UserManager<UserAccount> users, IAuditLog audit, IDbContextFactory<DataTrustDbContext> contexts)
{
    public async Task HandleAsync(string email, SignInResult result, string step, CancellationToken cancellationToken)
    {
        var account = await users.FindByEmailAsync(email);
        var reason = result.IsLockedOut ? "locked_out"
            : result.IsNotAllowed ? "not_allowed"
            : account is null ? "unknown_account"
            : step == "password" ? "bad_password" : "bad_second_factor";
        await audit.RecordAsync(contexts, new SignInFailed(account?.Id, reason), cancellationToken);
    }

    /// <summary>A passkey that did not verify names no account: the assertion is not trusted to say whose it is.</summary>
    public Task HandlePasskeyAsync(SignInResult result, CancellationToken cancellationToken) =>
        audit.RecordAsync(contexts, new SignInFailed(null, result.IsLockedOut ? "locked_out" : result.IsNotAllowed ? "not_allowed" : "bad_passkey"), cancellationToken);
}
