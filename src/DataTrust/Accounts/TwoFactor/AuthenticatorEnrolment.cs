using System.Text.Encodings.Web;
using DataTrust.Audit;
using DataTrust.Persistence;
using Microsoft.AspNetCore.Identity;

namespace DataTrust.Accounts.TwoFactor;

/// <summary>Turning two-step verification with an authenticator app on and off.</summary>
internal sealed class AuthenticatorEnrolment(UserManager<UserAccount> users, DataTrustDbContext db, IAuditLog audit)
{
    public sealed record Setup(string SharedKey, string OtpAuthUri);

    /// <summary>The key to add to the app (kept until enrolment succeeds; a new one once it is turned off).</summary>
    public async Task<Setup> SetupAsync(UserAccount user)
    {
        var key = await users.GetAuthenticatorKeyAsync(user);
        if (string.IsNullOrEmpty(key))
        {
            await users.ResetAuthenticatorKeyAsync(user);
            key = (await users.GetAuthenticatorKeyAsync(user))!;
        }

        var label = UrlEncoder.Default.Encode($"DataTrust:{user.Email}");
        return new Setup(
            string.Join(' ', key.Chunk(4).Select(c => new string(c))).ToLowerInvariant(),
            $"otpauth://totp/{label}?secret={key}&issuer=DataTrust&digits=6&period=30");
    }

    /// <summary>Turns it on when the code from the app is right; returns the one-time recovery codes, or null.</summary>
    public async Task<IReadOnlyList<string>?> EnableAsync(UserAccount user, string code)
    {
        var actor = AccountAudit.Actor(user.Id, await users.GetRolesAsync(user));
        return await AccountAudit.RunAsync<IReadOnlyList<string>?>(
            db,
            audit,
            codes => codes is null ? null : new AccountSecurityChanged(actor, AccountAudit.TwoFactorEnabled),
            async () =>
            {
                if (!await users.VerifyTwoFactorTokenAsync(user, users.Options.Tokens.AuthenticatorTokenProvider, code))
                {
                    return null;
                }

                await users.SetTwoFactorEnabledAsync(user, true);
                return (await users.GenerateNewTwoFactorRecoveryCodesAsync(user, 10))?.ToList() ?? [];
            },
            CancellationToken.None);
    }

    /// <summary>Turns it off when the code from the app is right, and forgets the key.</summary>
    public async Task<bool> DisableAsync(UserAccount user, string code)
    {
        var actor = AccountAudit.Actor(user.Id, await users.GetRolesAsync(user));
        return await AccountAudit.RunAsync(
            db,
            audit,
            disabled => disabled ? new AccountSecurityChanged(actor, AccountAudit.TwoFactorDisabled) : null,
            async () =>
            {
                if (!await users.VerifyTwoFactorTokenAsync(user, users.Options.Tokens.AuthenticatorTokenProvider, code))
                {
                    return false;
                }

                await users.SetTwoFactorEnabledAsync(user, false);
                await users.ResetAuthenticatorKeyAsync(user);
                await users.RemoveAuthenticationTokenAsync(user, SingleUseTotpProvider.Name, "LastTotpStep");
                return true;
            },
            CancellationToken.None);
    }
}
