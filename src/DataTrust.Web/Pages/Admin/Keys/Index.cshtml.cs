using DataTrust.Audit;
using DataTrust.Audit.Storage;
using DataTrust.Identity;
using DataTrust.Identity.Keys;
using DataTrust.Identity.Storage;
using DataTrust.Jobs;
using DataTrust.Persistence;
using DataTrust.Vault.Keys;
using DataTrust.Vault.Rotation;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace DataTrust.Web.Pages.Admin.Keys;

/// <summary>
/// <c>/admin/keys</c>: the state of the token-signing keys, the audit checkpoint key and the vault KEK, and
/// their rotation through the same code as the admin API and the CLI (each rotation audited there).
/// </summary>
internal sealed class IndexModel(
    SigningKeyStore signingKeys,
    AuditSigningKeys auditKeys,
    KeyRingProvider keyRing,
    IDbContextFactory<DataTrustDbContext> contexts,
    JobQueue jobs,
    IAuditLog audit,
    IOptions<OidcOptions> oidc) : OperatorPage
{
    public IReadOnlyList<SigningKey> TokenKeys { get; private set; } = [];

    public IReadOnlyList<AuditSigningKey> AuditKeys { get; private set; } = [];

    public int KekVersion { get; private set; }

    public IReadOnlyCollection<int> KekVersions { get; private set; } = [];

    public string? Done { get; private set; }

    public async Task OnGetAsync(string? done, CancellationToken cancellationToken)
    {
        Done = done;
        await LoadAsync(cancellationToken);
    }

    public async Task<IActionResult> OnPostTokenAsync(CancellationToken cancellationToken)
    {
        if ((await signingKeys.RotateAsync(oidc.Value.KeyPublishDelay, Actor, cancellationToken)).Count == 0)
        {
            Refused(StatusCodes.Status409Conflict, Localization.Text.T("署名鍵の切り替えはすでに進行中です。何も変更していません。", "A signing key rotation is already pending. Nothing was changed."));
            await LoadAsync(cancellationToken);
            return Page();
        }

        return Redirect("/admin/keys?done=token");
    }

    public async Task<IActionResult> OnPostAuditAsync(CancellationToken cancellationToken)
    {
        await auditKeys.RotateAsync(Actor, cancellationToken);
        return Redirect("/admin/keys?done=audit");
    }

    public async Task<IActionResult> OnPostKekAsync(CancellationToken cancellationToken)
    {
        await RotationEndpoints.StartKekRotationAsync(Actor, contexts, jobs, keyRing, audit, cancellationToken);
        return Redirect("/admin/keys?done=kek");
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        TokenKeys = await signingKeys.ListAsync(cancellationToken);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        AuditKeys = await db.Set<AuditSigningKey>().AsNoTracking().OrderBy(k => k.CreatedAt).ToListAsync(cancellationToken);
        KekVersion = keyRing.Ring.CurrentVersion;
        KekVersions = keyRing.Ring.Versions;
    }
}
