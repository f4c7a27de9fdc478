extern alias cli;

using System.CommandLine;
using cli::DataTrust.Cli;
using DataTrust.Policies.Loading;
using DataTrust.Tests.Infrastructure;

namespace DataTrust.Tests.Policies;

/// <summary><c>datatrust policy check</c>: an operator checks a policy change offline before deploying it.</summary>
public sealed class PolicyCommandTests : IDisposable
{
    private readonly TestPolicyDirectory _policy = new();

    public void Dispose() => _policy.Dispose();

    [Fact]
    public void A_valid_policy_passes_with_its_version()
    {
        var (exitCode, output, error) = Run("policy", "check", "--dir", RepositoryPaths.Policies);

        exitCode.ShouldBe(0);
        output.ShouldContain(PolicyLoader.Load(RepositoryPaths.Policies).Version);
        error.ShouldBeEmpty();
    }

    [Fact]
    public void An_invalid_policy_fails_with_every_problem_as_file_and_line()
    {
        _policy.Replace("purposes.yaml", "    title:", "    titel:");
        _policy.Replace("minimisation.yaml", "  - purpose: shop-offers", "  - purpose: shop");

        var (exitCode, output, error) = Run("policy", "check", "--dir", _policy.Path);

        exitCode.ShouldBe(1);
        output.ShouldBeEmpty();
        error.ShouldContain($"{_policy.FilePath("purposes.yaml")}:{_policy.LineOf("purposes.yaml", "titel:")}: unknown key 'titel'");
        error.ShouldContain($"{_policy.FilePath("minimisation.yaml")}:{_policy.LineOf("minimisation.yaml", "purpose: shop")}: the rule names purpose 'shop'");
    }

    [Fact]
    public void A_missing_directory_fails_naming_it()
    {
        var missing = Path.Combine(_policy.Path, "absent");

        var (exitCode, _, error) = Run("policy", "check", "--dir", missing);

        exitCode.ShouldBe(1);
        error.ShouldContain(missing);
    }

    private static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var root = new RootCommand { PolicyCommand.Create() };

        var exitCode = root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exitCode, output.ToString(), error.ToString());
    }
}
