using System.Text.RegularExpressions;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Extensions.DependencyInjection.Tests;

/// <summary>
/// The integration snippets of the README and of the two integration packages' READMEs are marked <c>&lt;!-- snippet: path --&gt;</c> and must appear, line by line
/// (indentation aside), in that file, which the solution builds: the README cannot show code that does not compile.
/// </summary>
public sealed partial class ReadmeSnippetTests
{
    [Fact]
    public void EveryMarkedSnippet_AppearsInItsSourceFile()
    {
        var root = RepositoryRoot();
        string[] readmes =
        [
            "README.md", "src/Checkpointing.Extensions.AI/README.md", "src/Checkpointing.Extensions.DependencyInjection/README.md",
        ];
        var snippets = readmes.SelectMany(readme => SnippetPattern().Matches(File.ReadAllText(Path.Combine(root, readme)).ReplaceLineEndings("\n"))).ToList();

        snippets.Should().HaveCountGreaterThanOrEqualTo(9, "the integration sections take their code from the sample and the tests");
        foreach (var snippet in snippets)
        {
            var path = snippet.Groups["path"].Value;
            var source = Lines(File.ReadAllText(Path.Combine(root, path)));
            var lines = Lines(snippet.Groups["code"].Value);
            var found = Enumerable.Range(0, source.Length - lines.Length + 1).Any(start => source.AsSpan(start, lines.Length).SequenceEqual(lines));
            found.Should().BeTrue($"the README snippet below must appear in {path}:\n{snippet.Groups["code"].Value}");
        }
    }

    private static string[] Lines(string text) =>
        [.. text.ReplaceLineEndings("\n").Split('\n').Select(line => line.Trim()).Where(line => line.Length > 0)];

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Checkpointing.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Checkpointing.sln above {AppContext.BaseDirectory}.");
    }

    [GeneratedRegex(@"<!-- snippet: (?<path>[^ ]+) -->\n```[a-z]*\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex SnippetPattern();
}
