using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DataTrust.Consent;
using DataTrust.Persistence;
using DataTrust.Tests.Identity;
using DataTrust.Vault.Erasure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DataTrust.Tests.Consent;

/// <summary>Erasing an account ends every live consent with it: recipients are told to delete, and each withdrawal is audited.</summary>
public abstract class ConsentErasureTests(StorageProvider provider) : IDisposable
{
    private readonly ConsentHost _host = new(provider);

    public void Dispose()
    {
        _host.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Erasure_withdraws_given_consents_refuses_pending_ones_and_tells_each_recipient()
    {
        var admin = await ConsentHost.OperatorAsync(_host);
        await _host.RecipientAsync(admin, "rcpt-erase");
        var recipient = await _host.RecipientClientAsync("rcpt-erase");
        var given = await ConsentHost.PublishAsync(recipient, admin);
        var pending = await ConsentHost.PublishAsync(recipient, admin, ConsentHost.MobilityRequest(duration: "P1M"));
        var hanako = await ConsentHost.ResidentAsync(_host);
        var hanakoId = await _host.AccountIdAsync("hanako@example.jp");
        var taro = await ConsentHost.ResidentAsync(_host, "taro@example.jp");

        var granted = await hanako.PostAsJsonAsync("/api/me/consents", new { dataRequestId = given });
        granted.StatusCode.ShouldBe(HttpStatusCode.Created);
        var grantedId = (await Oidc.Json(granted)).GetProperty("id").GetGuid();
        var taroConsent = await taro.PostAsJsonAsync("/api/me/consents", new { dataRequestId = given });
        taroConsent.StatusCode.ShouldBe(HttpStatusCode.Created);
        Guid pendingId;
        await using (var db = _host.NewDbContext())
        {
            // An inbox request waiting for hanako's answer.
            pendingId = await _host.InScopeAsync(async services =>
            {
                var ledger = services.GetRequiredService<ConsentLedger>();
                var subject = await services.GetRequiredService<DataTrust.Identity.Subjects.PairwiseSubjects>().SubjectAsync(
                    await db.Set<DataTrust.Identity.Clients.Client>().SingleAsync(c => c.ClientId == "rcpt-erase"), hanakoId, CancellationToken.None);
                return (await ledger.RequestAsync("rcpt-erase", pending, subject, CancellationToken.None)).Id;
            });
        }

        var erased = await _host.InScopeAsync(async services =>
        {
            await using var db = _host.NewDbContext();
            return await services.GetRequiredService<ResidentAccountErasure>().EraseAsync(db, hanakoId, CancellationToken.None);
        });
        erased.ShouldBeTrue();

        var entries = (await _host.AuditAsync()).Where(e => e.Consent == grantedId.ToString("D") || e.Consent == pendingId.ToString("D")).ToList();
        var revoked = entries.Single(e => e.Action == "consent.revoked");
        revoked.Consent.ShouldBe(grantedId.ToString("D"));
        JsonDocument.Parse(revoked.Details).RootElement.GetProperty("decidedBy").GetString().ShouldBe("erasure");
        entries.Single(e => e.Action == "consent.refused").Consent.ShouldBe(pendingId.ToString("D"));

        await using (var db = _host.NewDbContext())
        {
            var notices = await db.Set<WebhookDelivery>().AsNoTracking()
                .Where(d => d.ConsentId == grantedId || d.ConsentId == pendingId).Where(d => d.Payload.Contains("resident_erased")).ToListAsync();
            notices.Count.ShouldBe(2);
            var revokeNotice = JsonDocument.Parse(notices.Single(n => n.ConsentId == grantedId).Payload).RootElement;
            revokeNotice.GetProperty("type").GetString().ShouldBe("consent.revoked");
            revokeNotice.GetProperty("mustDelete").GetBoolean().ShouldBeTrue();
            JsonDocument.Parse(notices.Single(n => n.ConsentId == pendingId).Payload).RootElement.GetProperty("mustDelete").GetBoolean().ShouldBeFalse();

            (await db.Set<ConsentHead>().CountAsync(c => c.ResidentId == hanakoId)).ShouldBe(0);
            (await db.Set<ConsentHead>().SingleAsync(c => c.ClientId == "rcpt-erase")).State.ShouldBe(ConsentState.Given, "taro's consent is untouched");
        }
    }
}

public sealed class SqliteConsentErasureTests() : ConsentErasureTests(StorageProvider.Sqlite);

public sealed class PostgresConsentErasureTests() : ConsentErasureTests(StorageProvider.Postgres);
