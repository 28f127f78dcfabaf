package io.llama2j.train;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;

/**
 * Draws curves of a run against step as a PNG (java.awt in headless mode, no plotting library):
 * the training and validation losses (training in blue, validation in orange), or any named
 * figures of a stage (reward, KL, accuracy), one colour each.
 */
public final class LossPlot {
    private LossPlot() {}

    /** Image size and margins in pixels. */
    static final int WIDTH = 800, HEIGHT = 500, MARGIN = 60;

    /** Colours of the curves, in order (matplotlib's first ten). */
    private static final Color[] PALETTE = {new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44),
            new Color(214, 39, 40), new Color(148, 103, 189), new Color(140, 86, 75), new Color(227, 119, 194),
            new Color(127, 127, 127), new Color(188, 189, 34), new Color(23, 190, 207)};

    /** A point of a curve. */
    public record Point(int step, double loss) {}

    /** A named curve. */
    public record Series(String name, List<Point> points) {}

    public static void write(Path png, String title, List<Point> train, List<Point> validation) throws IOException {
        write(png, title, List.of(new Series("train", train), new Series("validation", validation)));
    }

    /** Draws every series on one pair of axes, labelled in the top right corner. */
    public static void write(Path png, String title, List<Series> series) throws IOException {
        System.setProperty("java.awt.headless", "true");
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);
            int maxStep = 1;
            double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
            for (Series curve : series) {
                for (Point p : curve.points()) {
                    if (!Double.isFinite(p.loss())) continue;
                    maxStep = Math.max(maxStep, p.step());
                    lo = Math.min(lo, p.loss());
                    hi = Math.max(hi, p.loss());
                }
            }
            if (!(lo < hi)) { lo = Double.isFinite(lo) ? lo - 1 : 0; hi = lo + 2; }
            int plotW = WIDTH - 2 * MARGIN, plotH = HEIGHT - 2 * MARGIN;
            g.setColor(Color.BLACK);
            g.drawRect(MARGIN, MARGIN, plotW, plotH);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            g.drawString(title, MARGIN, MARGIN - 20);
            g.drawString("step", WIDTH / 2, HEIGHT - 15);
            for (int i = 0; i <= 4; i++) {
                double loss = lo + (hi - lo) * i / 4;
                int y = MARGIN + plotH - (int) Math.round(plotH * i / 4.0);
                g.drawString(String.format(Locale.ROOT, "%.2f", loss), 5, y + 4);
                int step = (int) Math.round((double) maxStep * i / 4);
                g.drawString(Integer.toString(step), MARGIN + plotW * i / 4 - 10, HEIGHT - MARGIN + 18);
            }
            for (int i = 0; i < series.size(); i++) {
                Color color = PALETTE[i % PALETTE.length];
                drawCurve(g, series.get(i).points(), color, maxStep, lo, hi, plotW, plotH);
                g.setColor(color);
                g.drawString(series.get(i).name(), WIDTH - MARGIN - 150, MARGIN + 20 + 16 * i);
            }
        } finally {
            g.dispose();
        }
        Path temp = png.resolveSibling(png.getFileName() + ".tmp");
        if (!ImageIO.write(image, "png", temp.toFile())) throw new IOException(png + ": no PNG writer available");
        Files.move(temp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void drawCurve(Graphics2D g, List<Point> curve, Color color, int maxStep, double lo, double hi,
                                  int plotW, int plotH) {
        g.setColor(color);
        g.setStroke(new BasicStroke(1.5f));
        int px = -1, py = -1;
        for (Point p : curve) {
            if (!Double.isFinite(p.loss())) continue;
            int x = MARGIN + (int) Math.round((double) plotW * p.step() / maxStep);
            int y = MARGIN + plotH - (int) Math.round(plotH * (p.loss() - lo) / (hi - lo));
            if (px >= 0) g.drawLine(px, py, x, y);
            if (curve.size() < 50) g.fillOval(x - 2, y - 2, 5, 5);
            px = x;
            py = y;
        }
    }
}
