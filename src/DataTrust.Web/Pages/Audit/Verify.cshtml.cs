using DataTrust.Audit;
using DataTrust.Audit.Api;
using DataTrust.Audit.Integrity;
using DataTrust.Audit.Verification;
using DataTrust.Persistence;
using DataTrust.Web.Navigation;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Web.Pages.Audit;

/// <summary><c>/audit/verify</c>: verifies the live log now, as <c>POST /api/audit/verify</c> does, and records it with its outcome.</summary>
internal sealed class VerifyModel(LiveAuditVerifier verifier, IDbContextFactory<DataTrustDbContext> contexts, IAuditLog log) : AuditPageModel
{
    public AuditVerificationReport? Report { get; private set; }

    public string? TrustedCheckpoint { get; private set; }

    public List<FieldError> Errors { get; } = [];

    public async Task OnPostAsync(string? trustedCheckpoint, CancellationToken cancellationToken)
    {
        TrustedCheckpoint = string.IsNullOrWhiteSpace(trustedCheckpoint) ? null : trustedCheckpoint.Trim();
        if (TrustedCheckpoint is not null && CheckpointJws.Read(TrustedCheckpoint) is null)
        {
            Errors.Add(new("trustedCheckpoint", Localization.Text.T(
                "信頼するチェックポイントは、APIやバンドルが出すJWS（3つの部分を . でつないだもの）を貼り付けてください。",
                "A trusted checkpoint is a JWS as the API and bundles give them (three parts joined by dots).")));
            return;
        }

        Report = await VerifyAuditLog.RunAsync(TrustedCheckpoint, Actor, verifier, contexts, log, cancellationToken);
    }
}
