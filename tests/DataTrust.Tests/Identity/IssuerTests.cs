using DataTrust.Common;
using DataTrust.Identity;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Options;

namespace DataTrust.Tests.Identity;

public sealed class IssuerTests
{
    private static Issuer Make(string environment, string? issuer) =>
        new(Options.Create(new DataTrustOptions { Issuer = issuer }), new HostingEnvironment { EnvironmentName = environment });

    [Fact]
    public void Production_without_an_issuer_refuses_to_start_with_the_setting_named()
    {
        var error = Should.Throw<StartupException>(() => Make(Environments.Production, null).Validate());

        error.Message.ShouldContain("DataTrust:Issuer is not set");
    }

    [Theory]
    [InlineData("http://datatrust.example.city")]
    [InlineData("https://datatrust.example.city/?tenant=1")]
    [InlineData("https://datatrust.example.city/#x")]
    [InlineData("datatrust.example.city")]
    public void An_issuer_that_is_not_plain_https_is_refused(string issuer)
    {
        Should.Throw<StartupException>(() => Make(Environments.Production, issuer).Validate()).Message.ShouldContain(issuer);
    }

    [Theory]
    [InlineData("Production", "https://datatrust.example.city")]
    [InlineData("Production", "https://datatrust.example.city/oidc/")]
    [InlineData("Production", "http://localhost:8080")]
    [InlineData("Development", null)]
    public void Https_loopback_http_and_an_unset_issuer_in_Development_are_accepted(string environment, string? issuer)
    {
        Should.NotThrow(() => Make(environment, issuer).Validate());
    }
}
