using DataTrust.Audit;
using DataTrust.Persistence;
using Microsoft.AspNetCore.Identity;

namespace DataTrust.Accounts.Passkeys;

/// <summary>
/// Registering, listing and removing a person's passkeys (WebAuthn, through ASP.NET Core Identity).
/// The ceremony's challenge lives in Identity's short-lived, encrypted two-factor cookie between the
/// options request and the browser's answer.
/// </summary>
internal sealed class PasskeyEnrolment(UserManager<UserAccount> users, SignInManager<UserAccount> signIn, DataTrustDbContext db, IAuditLog audit)
{
    /// <summary>Longest name a person may give a passkey.</summary>
    public const int NameLength = 100;

    /// <summary>Longest credential JSON accepted from a browser (attestation objects are a few KiB).</summary>
    public const int CredentialJsonLength = 64 * 1024;

    /// <summary>Passkeys a person may hold at once.</summary>
    public const int MaximumPerAccount = 20;

    /// <summary>The options for <c>navigator.credentials.create()</c>, as JSON.</summary>
    public async Task<string> CreationOptionsAsync(UserAccount user) =>
        await signIn.MakePasskeyCreationOptionsAsync(new PasskeyUserEntity
        {
            Id = await users.GetUserIdAsync(user),
            Name = user.Email ?? user.UserName ?? user.Id.ToString(),
            DisplayName = string.IsNullOrWhiteSpace(user.DisplayName) ? user.Email ?? "" : user.DisplayName,
        });

    /// <summary>Verifies the browser's answer and stores the passkey; false when it does not verify.</summary>
    public async Task<bool> AddAsync(UserAccount user, string credentialJson, string name)
    {
        if (credentialJson.Length is 0 or > CredentialJsonLength)
        {
            return false;
        }

        // Verified before the transaction opens: reading the ceremony cookie uses Data Protection.
        PasskeyAttestationResult attestation;
        try
        {
            attestation = await signIn.PerformPasskeyAttestationAsync(credentialJson);
        }
        catch (InvalidOperationException)
        {
            return false; // no ceremony under way in this browser
        }

        if (!attestation.Succeeded || attestation.UserEntity.Id != await users.GetUserIdAsync(user)
            || (await users.GetPasskeysAsync(user)).Count >= MaximumPerAccount)
        {
            return false;
        }

        var passkey = attestation.Passkey;
        passkey.Name = string.IsNullOrWhiteSpace(name) ? null : name.Trim()[..Math.Min(name.Trim().Length, NameLength)];
        var actor = AccountAudit.Actor(user.Id, await users.GetRolesAsync(user));
        return await AccountAudit.RunAsync(
            db,
            audit,
            added => added ? new AccountSecurityChanged(actor, AccountAudit.PasskeyAdded) : null,
            async () =>
            {
                // A credential id already stored (for anyone) is not registered again.
                if (await users.FindByPasskeyIdAsync(passkey.CredentialId) is not null)
                {
                    return false;
                }

                return (await users.AddOrUpdatePasskeyAsync(user, passkey)).Succeeded;
            },
            CancellationToken.None);
    }

    public async Task<IReadOnlyList<UserPasskeyInfo>> ListAsync(UserAccount user) =>
        [.. (await users.GetPasskeysAsync(user)).OrderBy(p => p.CreatedAt)];

    /// <summary>Removes one of the person's own passkeys; false when they hold no such passkey.</summary>
    public async Task<bool> RemoveAsync(UserAccount user, byte[] credentialId)
    {
        var actor = AccountAudit.Actor(user.Id, await users.GetRolesAsync(user));
        return await AccountAudit.RunAsync(
            db,
            audit,
            removed => removed ? new AccountSecurityChanged(actor, AccountAudit.PasskeyRemoved) : null,
            async () => await users.GetPasskeyAsync(user, credentialId) is not null
                && (await users.RemovePasskeyAsync(user, credentialId)).Succeeded,
            CancellationToken.None);
    }
}
