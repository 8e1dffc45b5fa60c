using System.Diagnostics;

namespace Checkpointing.Benchmarks.Quick;

/// <summary>Timings of one measured operation, in milliseconds.</summary>
internal sealed class Samples
{
    private readonly List<double> _milliseconds = [];

    /// <summary>Gets the number of timings.</summary>
    public int Count => _milliseconds.Count;

    /// <summary>Gets the median.</summary>
    public double Median
    {
        get
        {
            var sorted = _milliseconds.Order().ToArray();
            return sorted.Length == 0 ? double.NaN
                : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2]
                : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        }
    }

    /// <summary>Gets the timing below which a fraction <paramref name="fraction"/> of the timings fall (nearest rank).</summary>
    public double Percentile(double fraction)
    {
        var sorted = _milliseconds.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(fraction * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    /// <summary>Gets the mean.</summary>
    public double Mean => _milliseconds.Count == 0 ? double.NaN : _milliseconds.Average();

    /// <summary>Gets the longest timing.</summary>
    public double Max => _milliseconds.Count == 0 ? double.NaN : _milliseconds.Max();

    /// <summary>Gets the sum of the timings.</summary>
    public double Total => _milliseconds.Sum();

    /// <summary>Adds the time since <paramref name="startTimestamp"/> (a <see cref="Stopwatch.GetTimestamp"/> value).</summary>
    public double AddSince(long startTimestamp)
    {
        var elapsed = Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds;
        _milliseconds.Add(elapsed);
        return elapsed;
    }

    /// <summary>Adds a timing.</summary>
    public void Add(double milliseconds) => _milliseconds.Add(milliseconds);

    /// <summary>Times <paramref name="action"/> once and adds the timing.</summary>
    public double Time(Action action)
    {
        var start = Stopwatch.GetTimestamp();
        action();
        return AddSince(start);
    }

    /// <summary>Times <paramref name="action"/> once and adds the timing.</summary>
    public async Task<double> TimeAsync(Func<Task> action)
    {
        var start = Stopwatch.GetTimestamp();
        await action();
        return AddSince(start);
    }

    /// <summary>Formats as <c>median x ms, mean y ms (n = z)</c>.</summary>
    public override string ToString() => $"median {Report.Ms(Median)}, mean {Report.Ms(Mean)}, max {Report.Ms(Max)} (n = {Count})";
}
