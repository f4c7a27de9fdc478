using System.Security.Claims;
using Microsoft.AspNetCore.Identity;

namespace DataTrust.Accounts.Passkeys;

/// <summary>
/// Signs a person in with a passkey. Identity verifies the assertion (challenge, origin, RP id,
/// signature, sign count); then the same preconditions as a password apply (confirmed e-mail, lockout).
/// A passkey is phishing-resistant and user-verified, so no second step follows. The session carries
/// <c>amr=passkey</c>, which the sign-in audit entry reports as its method.
/// </summary>
internal sealed class PasskeySignIn(SignInManager<UserAccount> signIn, UserManager<UserAccount> users)
{
    public const string Method = "passkey";

    public async Task<SignInResult> SignInAsync(string credentialJson)
    {
        if (credentialJson.Length is 0 or > PasskeyEnrolment.CredentialJsonLength)
        {
            return SignInResult.Failed;
        }

        PasskeyAssertionResult<UserAccount> assertion;
        try
        {
            assertion = await signIn.PerformPasskeyAssertionAsync(credentialJson);
        }
        catch (InvalidOperationException)
        {
            return SignInResult.Failed; // no ceremony under way in this browser: a replayed or forged post
        }

        if (!assertion.Succeeded)
        {
            return SignInResult.Failed;
        }

        var user = assertion.User;
        if (await users.IsLockedOutAsync(user))
        {
            return SignInResult.LockedOut;
        }

        if (!await signIn.CanSignInAsync(user))
        {
            return SignInResult.NotAllowed;
        }

        // The new sign count is stored so that a cloned authenticator shows up as a count going backwards.
        if (!(await users.AddOrUpdatePasskeyAsync(user, assertion.Passkey)).Succeeded)
        {
            return SignInResult.Failed;
        }

        await users.ResetAccessFailedCountAsync(user);
        await signIn.SignInWithClaimsAsync(user, isPersistent: false, [new Claim("amr", Method)]);
        return SignInResult.Success;
    }
}
