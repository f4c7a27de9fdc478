using System.Net.Http.Json;
using DataTrust.Audit;
using DataTrust.Audit.Events;
using DataTrust.Consent;
using DataTrust.Persistence;
using DataTrust.Tests.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DataTrust.Tests.Consent;

/// <summary>
/// Promise 2 on PostgreSQL, where several instances race: a revoke committed amid 1,000 release
/// decisions, each in its own context and transaction that writes its release's audit entry as the
/// broker will. The audit log's sequence is the commit order of audited transactions (each holds the
/// log's head lock until it commits), so every release must sit before the revoke in it. Without the
/// consent row lock, a release that read "given" just before the revoke would append after it.
/// </summary>
public sealed class RevokeRaceTests : IDisposable
{
    private const int Decisions = 1000;
    private const int Workers = 8;

    private readonly ConsentHost _host = new(StorageProvider.Postgres);

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task No_release_commits_after_the_revoke_has_committed()
    {
        var admin = await ConsentHost.OperatorAsync(_host);
        await _host.RecipientAsync(admin, "rcpt-race");
        var recipient = await _host.RecipientClientAsync("rcpt-race");
        var requestId = await ConsentHost.PublishAsync(recipient, admin, new
        {
            purposeId = "mobility-improvement",
            categories = new[] { new { category = "mobility", fields = new[] { "trip_date" } } },
            duration = "P1Y",
            accessMode = "periodic",
            maxReleasesPerPeriod = 10000,
            frequencyPeriod = "P1D",
            benefit = new { ja = "ポイント", en = "Points" },
            explanation = new { ja = "説明", en = "Explanation" },
        });
        var hanako = await ConsentHost.ResidentAsync(_host);
        var residentId = await _host.AccountIdAsync("hanako@example.jp");
        var consentId = (await Oidc.Json(await hanako.PostAsJsonAsync("/api/me/consents", new { dataRequestId = requestId }))).GetProperty("id").GetGuid();

        var audit = _host.Services.GetRequiredService<IAuditLog>();
        var ask = new ReleaseAsk("rcpt-race", "mobility-improvement", [new RequestedCategory("mobility", ["trip_date"])], null, null);
        var started = 0;
        var allowed = 0;
        var refused = 0;
        var revokeNow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        async Task ReleaseAsync()
        {
            while (Interlocked.Increment(ref started) <= Decisions)
            {
                if (Volatile.Read(ref started) >= Decisions / 5)
                {
                    revokeNow.TrySetResult();
                }

                await using var db = _host.NewDbContext();
                await using var transaction = await db.Database.BeginTransactionAsync();
                var decision = await ConsentLedger.AuthorizeReleaseAsync(db, consentId, ask, _host.Clock.GetUtcNow(), CancellationToken.None);
                if (decision.Allowed)
                {
                    await audit.AppendAsync(db, new DataReleased(AuditActor.Client("rcpt-race"), residentId, consentId, "rcpt-race", "mobility-improvement", Guid.NewGuid(), ["mobility"], ["trip_date"]));
                    await db.SaveChangesAsync();
                }

                await transaction.CommitAsync();
                Interlocked.Increment(ref decision.Allowed ? ref allowed : ref refused);
            }
        }

        async Task RevokeAsync()
        {
            await revokeNow.Task;
            await _host.InScopeAsync(s => s.GetRequiredService<ConsentLedger>().RevokeAsync(residentId, consentId, CancellationToken.None));
        }

        await Task.WhenAll([.. Enumerable.Range(0, Workers).Select(_ => Task.Run(ReleaseAsync)), Task.Run(RevokeAsync)]);

        (allowed + refused).ShouldBe(Decisions);
        allowed.ShouldBeGreaterThan(0);
        refused.ShouldBeGreaterThan(0, "the revoke landed amid the decisions");
        var entries = (await _host.AuditAsync()).Where(e => e.Consent == consentId.ToString("D")).ToList();
        var revokedAt = entries.Single(e => e.Action == AuditAction.ConsentRevoked).Seq;
        var releases = entries.Where(e => e.Action == AuditAction.DataReleased).Select(e => e.Seq).ToList();
        releases.Count.ShouldBe(allowed, "every allowed decision committed its release");
        releases.Where(seq => seq > revokedAt).ShouldBeEmpty("no release committed after the revoke committed");
        await using var check = _host.NewDbContext();
        (await check.Set<ConsentHead>().Where(c => c.Id == consentId).Select(c => c.ReleaseCount).SingleAsync()).ShouldBe(allowed);
    }
}
