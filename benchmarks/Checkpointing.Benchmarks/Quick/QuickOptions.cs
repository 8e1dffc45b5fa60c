using System.Globalization;

namespace Checkpointing.Benchmarks.Quick;

/// <summary>
/// The quick mode's command line: <c>--quick [--iterations N] [--resume-iterations N] [--dir PATH] [--only a,b,c,d,e,f,g,h,i]</c>.
/// </summary>
internal sealed record QuickOptions
{
    /// <summary>Gets the samples taken of each fast operation (cache writes, lookup batches); stage saves take ~1500.</summary>
    public int Iterations { get; init; } = 50;

    /// <summary>Gets the samples taken of each resume (each restores and reparses the whole history).</summary>
    public int ResumeIterations { get; init; } = 5;

    /// <summary>Gets the folder under which scratch directories are made; it decides which file system is measured.</summary>
    public string Root { get; init; } = Path.GetTempPath();

    /// <summary>Gets the parts to run, by letter (a and b run together); all by default.</summary>
    public string Only { get; init; } = "abcdefghi";

    /// <summary>Tells whether the part with <paramref name="letter"/> runs.</summary>
    public bool Runs(char letter) => Only.Contains(letter, StringComparison.Ordinal);

    /// <summary>Parses the arguments after <c>--quick</c>.</summary>
    public static QuickOptions Parse(string[] args)
    {
        var options = new QuickOptions();
        for (var i = 0; i < args.Length; i++)
        {
            options = args[i] switch
            {
                "--iterations" when i + 1 < args.Length => options with { Iterations = int.Parse(args[++i], CultureInfo.InvariantCulture) },
                "--resume-iterations" when i + 1 < args.Length => options with { ResumeIterations = int.Parse(args[++i], CultureInfo.InvariantCulture) },
                "--only" when i + 1 < args.Length => options with { Only = args[++i] },
                "--dir" when i + 1 < args.Length => options with { Root = Path.GetFullPath(args[++i]) },
                _ => options,
            };
        }

        return options;
    }
}
